package conformance_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// §2 packet layout, caller side.
func TestV1Caller_RequestPacketFields(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js218)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })

	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "héllo", Timeout: 4 * time.Second})
	reqs := b.log.where(kind[reqPkt])
	if len(reqs) != 1 {
		t.Fatalf("routed %d requests, want 1:\n%s", len(reqs), describe(b.log.all()))
	}
	pkt := reqs[0].Packet
	req := pkt.GetRpcRequest()
	if u, err := uuid.Parse(req.GetId()); err != nil || u.Version() != 4 {
		t.Errorf("request id %q is not a UUIDv4", req.GetId())
	}
	if req.GetMethod() != "echo" || req.GetPayload() != "héllo" || req.GetVersion() != 1 || req.GetResponseTimeoutMs() != 4000 {
		t.Errorf("request = %v, want method echo, payload héllo, version 1, timeout 4000", req)
	}
	if len(req.GetCompressedPayload()) != 0 {
		t.Error("compressed_payload set")
	}
	if !slices.Equal(pkt.GetDestinationIdentities(), []string{"bob"}) || pkt.GetKind() != livekit.DataPacket_RELIABLE {
		t.Errorf("destinations %v kind %v, want [bob] reliable", pkt.GetDestinationIdentities(), pkt.GetKind())
	}
}

// §2 caller rule 1, and its boundary.
func TestV1Caller_PayloadOver15360ToProtocol0Fails1402WithoutSending(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js218)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return "ok", nil })

	// 7680 × "é" is exactly 15360 UTF-8 bytes (7680 characters): allowed.
	exact := strings.Repeat("é", 7680)
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: exact}); r.Request.Form != transport.FormPacket {
		t.Errorf("15360 bytes went as %v, want a v1 packet", r.Request)
	}
	before := len(b.log.all())
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: exact + "a"})
	wantCode(t, err, rpcerr.RequestPayloadTooLarge)
	if after := b.log.all(); len(after) != before {
		t.Errorf("a 15361-byte request to a protocol-0 peer put packets on the wire:\n%s", describe(after[before:]))
	}
}

// §1: an unknown participant is client protocol 0: a request to it is a v1
// packet. One too large for a packet is not refused with 1402 but waits for
// the room's word (§7): here it never comes, so 1401 at the ack deadline,
// with nothing sent.
func TestVersion_UnknownParticipantTreatedAsProtocol0(t *testing.T) {
	b := newBed(t, memroom.WithAnnounceDelay(time.Hour)) // nobody is announced to alice
	alice := b.engine("alice", v2, engine.WithAckTimeout(200*time.Millisecond))
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)

	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
	if r.Request.Form != transport.FormPacket {
		t.Errorf("request to a not-yet-announced v2 peer went as %v, want a v1 packet", r.Request)
	}
	before := len(b.log.all())
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: strings.Repeat("x", 15361)})
	wantCode(t, err, rpcerr.RecipientNotFound)
	if after := b.log.all(); len(after) != before {
		t.Errorf("a request to an unannounced peer put packets on the wire:\n%s", describe(after[before:]))
	}
}

// §1: compare with >= 1, never == 1: a peer advertising 3 gets streams v2.
func TestVersion_ProtocolAbove2TreatedAsStreamsV2(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.engine("bob", []memroom.JoinOption{memroom.WithClientProtocol(3)})
	serve(t, bob, "echo", echo)
	// Big enough to be worth compressing, so §6 sends a stream to a
	// protocol-2 peer: a protocol-3 one must get the same.
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: compressible(10000)})
	if r.Request.Form != transport.FormInline || !r.Request.Compressed {
		t.Errorf("request to a protocol-3 peer went as %v, want a compressed v2 single packet", r.Request)
	}
}

// §2 caller rule 2: default 15 s, on the wire as response_timeout_ms.
func TestV1Caller_ResponseTimeoutOnWire(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js218)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return "", nil })

	if _, err := alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := alice.Call(ctx, transport.Call{Destination: "bob", Method: "echo"}); err != nil {
		t.Fatal(err)
	}
	reqs := b.log.where(kind[reqPkt])
	if got := reqs[0].Packet.GetRpcRequest().GetResponseTimeoutMs(); got != 15000 {
		t.Errorf("default timeout on the wire = %d ms, want 15000", got)
	}
	if got := reqs[1].Packet.GetRpcRequest().GetResponseTimeoutMs(); got > 3000 || got < 2000 {
		t.Errorf("timeout from a 3 s ctx deadline = %d ms on the wire", got)
	}
}

// §2 caller rule 3: the ack timer runs from before publishing, so a request
// whose upload cannot finish still fails with 1501.
func TestV1Caller_AckTimerArmedBeforeSend(t *testing.T) {
	b := newBed(t, memroom.WithSendBuffer(64<<10, 16<<10))
	alice := b.engine("alice", v2, engine.WithAckTimeout(200*time.Millisecond))
	// bob never attaches a receiver: nothing is delivered to him, so
	// alice's send buffer fills and her upload stalls.
	if _, err := b.room.Join("bob", protocol1...); err != nil {
		t.Fatal(err)
	}
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: strings.Repeat("x", 1<<20)})
	wantCode(t, err, rpcerr.ConnectionTimeout)
	for _, d := range b.log.where(kind[trailerPkt]) {
		if d.Packet.GetStreamTrailer().GetReason() == "" {
			t.Fatal("the upload completed, so this proves nothing about the timer")
		}
	}
	if n := len(b.log.where(kind[chunkPkt])); n == 0 || n >= (1<<20)/15000 {
		t.Errorf("%d chunks routed: want the upload stalled part way", n)
	}
}

// §2 caller rule 3: no ack → 1501.
func TestV1Caller_NoAckFails1501(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2, engine.WithAckTimeout(300*time.Millisecond))
	b.raw("bob", protocol0...) // receives, never answers
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: "x"})
	wantCode(t, err, rpcerr.ConnectionTimeout)
	if len(b.log.where(kind[reqPkt])) != 1 {
		t.Error("the request was not sent")
	}
}

// §2 caller rule 3: acked but no response → 1502.
func TestV1Caller_NoResponseFails1502(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2, engine.WithAckTimeout(5*time.Second))
	bob := b.engine("bob", protocol0)
	serve(t, bob, "slow", block(t, nil))
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "slow", Payload: "x", Timeout: 200 * time.Millisecond})
	wantCode(t, err, rpcerr.ResponseTimeout)
	// bob acks (possibly after the timeout, under load): the 1502 is the
	// response timer's, not a missing ack reported with the wrong code.
	b.log.waitFor(t, "bob's ack", and(from("bob"), kind[ackPkt]))
}

// §2 caller rule 3: a response before the ack is accepted and the ack timer
// cleared.
func TestV1Caller_ResponseBeforeAckAccepted(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2, engine.WithAckTimeout(2*time.Second))
	bob := b.engine("bob", protocol0)
	serve(t, bob, "echo", echo)
	b.room.SetFault(memroom.ReorderWhere(and(from("bob"), kind[ackPkt])))

	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "x"})
	if r.Payload != "x" {
		t.Errorf("payload %q", r.Payload)
	}
	if acks := b.log.where(kind[ackPkt]); len(acks) != 1 || !acks[0].Fault.HoldUntilNext {
		t.Fatalf("the ack was not held behind the response:\n%s", describe(b.log.all()))
	}
	// With no ack at all, the response alone completes the call.
	b.room.SetFault(memroom.DropKind[ackPkt]())
	r = mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "y"})
	if r.Payload != "y" {
		t.Errorf("payload %q", r.Payload)
	}
}

// §2 caller rule 3: the destination leaving fails its pending calls with 1503.
func TestV1Caller_DestinationLeftFails1503(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.engine("bob", protocol0)
	entered := make(chan *transport.Request, 2)
	serve(t, bob, "slow", block(t, entered))
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := call(t, alice, transport.Call{Destination: "bob", Method: "slow", Payload: "x"})
			errs <- err
		}()
	}
	<-entered
	<-entered
	b.room.Remove("bob", nil)
	wantCode(t, <-errs, rpcerr.RecipientDisconnected)
	wantCode(t, <-errs, rpcerr.RecipientDisconnected)
}

// §2 caller rule 3: late and unknown acks and responses are ignored.
func TestV1Caller_LateAndUnknownAcksAndResponsesIgnored(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js218)
	var firstID string
	bob.handle("first", func(r jsRequest) (string, *lkErr) {
		firstID = r.ID
		bob.send(jsAck("alice", "unknown-id"))
		bob.send(jsErrorPacket("alice", "unknown-id", 1500, "stray"))
		return "one", nil
	})
	bob.handle("second", func(r jsRequest) (string, *lkErr) {
		// Stale answers to the finished first call, before the real one.
		bob.send(jsAck("alice", firstID))
		bob.send(jsErrorPacket("alice", firstID, 1500, "late"))
		return "two", nil
	})
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "first", Payload: "x"}); r.Payload != "one" {
		t.Errorf("first = %q", r.Payload)
	}
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "second", Payload: "x"}); r.Payload != "two" {
		t.Errorf("second = %q", r.Payload)
	}
}
