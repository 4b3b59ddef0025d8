package conformance_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// handlerBed is bob, an engine serving echo, and a raw caller alice.
func handlerBed(t *testing.T, aliceJoin ...memroom.JoinOption) (*bed, *memroom.Link) {
	t.Helper()
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	serve(t, bob, "fail", func(context.Context, *transport.Request) (string, error) {
		return "", &rpcerr.Error{Code: 42, Message: strings.Repeat("m", 300), Data: strings.Repeat("d", 20000)}
	})
	serve(t, bob, "plain-error", func(context.Context, *transport.Request) (string, error) {
		return "", errors.New("disk on fire")
	})
	serve(t, bob, "panic", func(context.Context, *transport.Request) (string, error) { panic("boom") })
	serve(t, bob, "empty", answer(""))
	serve(t, bob, "big", answer(strings.Repeat("z", 15361)))
	return b, b.raw("alice", aliceJoin...)
}

// response waits for bob's RpcResponse to request id.
func response(t *testing.T, b *bed, id string) *livekit.RpcResponse {
	t.Helper()
	return b.log.waitFor(t, "response to "+id, and(from("bob"), kind[respPkt], forID(id))).Packet.GetRpcResponse()
}

func wantErrorPacket(t *testing.T, r *livekit.RpcResponse, code uint32) *livekit.RpcError {
	t.Helper()
	e := r.GetError()
	if e == nil || e.GetCode() != code {
		t.Fatalf("response %v, want error %d", r, code)
	}
	return e
}

// §2 handler rule 1: the ack goes first, before any validation.
func TestV1Handler_AckSentFirstBeforeValidating(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "bad-version", "echo", "x", 7))
	rawSend(t, alice, rpcRequest("bob", "no-method", "nope", "x", 1))
	rawSend(t, alice, rpcRequest("bob", "good", "echo", "x", 1))
	for _, id := range []string{"bad-version", "no-method", "good"} {
		response(t, b, id)
		fromBob := b.log.where(and(from("bob"), forID(id)))
		if len(fromBob) != 2 || !kind[ackPkt](fromBob[0]) || !kind[respPkt](fromBob[1]) {
			t.Errorf("%s: bob sent\n%s want ack then response", id, describe(fromBob))
		}
	}
}

// §2 packet layout: acks and responses go to [caller].
func TestV1Handler_AckAndResponseAddressedToCaller(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	b.raw("carol", protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r1", "echo", "x", 1))
	response(t, b, "r1")
	for _, d := range b.log.where(from("bob")) {
		if !slices.Equal(d.Packet.GetDestinationIdentities(), []string{"alice"}) || !slices.Equal(d.To, []string{"alice"}) {
			t.Errorf("%s addressed to %v, routed to %v", summary(d.Packet), d.Packet.GetDestinationIdentities(), d.To)
		}
	}
}

// §2 handler rule 2: version != 1 → 1404.
func TestV1Handler_BadVersionError1404(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "echo", "x", 2))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.UnsupportedVersion)
}

// §2 handler rule 2: no handler → 1400.
func TestV1Handler_UnknownMethodError1400(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "nope", "x", 1))
	e := wantErrorPacket(t, response(t, b, "r"), rpcerr.UnsupportedMethod)
	if e.GetMessage() != "Method not supported at destination" {
		t.Errorf("message %q", e.GetMessage())
	}
}

// §2 handler rule 3: an RPC error goes back as is, truncated to the limits.
func TestV1Handler_RPCErrorSentAsIsTruncated(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "fail", "x", 1))
	e := wantErrorPacket(t, response(t, b, "r"), 42)
	if len(e.GetMessage()) != 256 || len(e.GetData()) != 15360 {
		t.Errorf("message %d bytes, data %d bytes; want 256 and 15360", len(e.GetMessage()), len(e.GetData()))
	}
}

// §2 handler rule 3: any other failure → 1500, panics included.
func TestV1Handler_OtherFailureError1500(t *testing.T) {
	for _, method := range []string{"plain-error", "panic"} {
		t.Run(method, func(t *testing.T) {
			b, alice := handlerBed(t, protocol0...)
			rawSend(t, alice, rpcRequest("bob", "r", method, "x", 1))
			e := wantErrorPacket(t, response(t, b, "r"), rpcerr.ApplicationError)
			if strings.Contains(e.GetMessage()+e.GetData(), "disk on fire") {
				t.Error("a non-RPC error's text leaked to the caller")
			}
		})
	}
}

// §2 packet layout: an empty success still sets the payload oneof.
func TestV1Handler_EmptySuccessSetsPayloadOneof(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "empty", "x", 1))
	r := response(t, b, "r")
	if _, ok := r.GetValue().(*livekit.RpcResponse_Payload); !ok {
		t.Errorf("empty success %v does not set payload", r)
	}
}

// §2 handler rule 4: to a caller of protocol 0, a success is a packet...
func TestV1Handler_SuccessToProtocol0CallerIsPacket(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "echo", strings.Repeat("é", 7680), 1))
	if r := response(t, b, "r"); r.GetPayload() != strings.Repeat("é", 7680) {
		t.Errorf("response %.40v", r)
	}
	if n := len(b.log.where(and(from("bob"), kind[headerPkt]))); n != 0 {
		t.Errorf("bob sent %d streams to a protocol-0 caller", n)
	}
}

// ...and over 15360 bytes it is 1504 instead.
func TestV1Handler_ResponseOver15360ToProtocol0Fails1504(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	rawSend(t, alice, rpcRequest("bob", "r", "big", "x", 1))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ResponsePayloadTooLarge)
}

// §2 handler rule 4: to a caller of protocol >= 1, a success that does not
// fit one packet goes as a v2 response stream even though the request came
// as a packet.
func TestV1Handler_LargeSuccessToV2CallerIsResponseStream(t *testing.T) {
	for name, join := range map[string][]memroom.JoinOption{"protocol 1": protocol1, "protocol 2": v2} {
		t.Run(name, func(t *testing.T) {
			b, alice := handlerBed(t, join...)
			rawSend(t, alice, rpcRequest("bob", "r", "big", "x", 1))
			h := b.log.waitFor(t, "response stream", and(from("bob"), topic(jsTopicResponse))).Packet.GetStreamHeader()
			if h.GetAttributes()[jsAttrID] != "r" {
				t.Errorf("response stream attributes %v", h.GetAttributes())
			}
		})
	}
}

// §2 handler rule 4 (lkrpc's choice, docs/DESIGN.md "Choosing the form"): a small
// success to a caller of protocol 1 goes as one v1 packet, which every v2
// caller accepts (§3.5: responses are matched by request id whatever their
// form); to protocol 2 it is a single-packet stream.
func TestV1Handler_SmallSuccessToProtocol1CallerIsPacket(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	rawSend(t, alice, rpcRequest("bob", "r", "echo", "small", 1))
	if r := response(t, b, "r"); r.GetPayload() != "small" {
		t.Errorf("response %v", r)
	}
}

// §2: no SDK de-duplicates request ids, so neither does the handler.
func TestV1Handler_DuplicateRequestIDsServedTwice(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	var runs atomic.Int32
	serve(t, bob, "count", func(context.Context, *transport.Request) (string, error) {
		runs.Add(1)
		return "ok", nil
	})
	alice := b.raw("alice", protocol0...)
	b.room.SetFault(memroom.DuplicateWhere(kind[reqPkt]))
	rawSend(t, alice, rpcRequest("bob", "dup", "count", "x", 1))
	b.log.waitN(t, 2, "responses", and(from("bob"), kind[respPkt]))
	if n := len(b.log.where(and(from("bob"), kind[ackPkt]))); n != 2 || runs.Load() != 2 {
		t.Errorf("%d acks, %d runs for a duplicated request; want 2 and 2", n, runs.Load())
	}
}

// §2: the caller is who the SFU says sent the request, not what the packet
// claims.
func TestHandler_CallerIsSFUStampedIdentity(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	callers := make(chan string, 1)
	serve(t, bob, "who", func(_ context.Context, req *transport.Request) (string, error) {
		callers <- req.Caller
		return "", nil
	})
	alice := b.raw("alice", protocol0...)
	pkt := rpcRequest("bob", "r", "who", "", 1)
	pkt.ParticipantIdentity = "mallory"
	rawSend(t, alice, pkt)
	if got := <-callers; got != "alice" {
		t.Errorf("handler saw caller %q, want alice", got)
	}
	if d := b.log.waitFor(t, "response", and(from("bob"), kind[respPkt])); d.To[0] != "alice" {
		t.Errorf("response went to %v", d.To)
	}
}
