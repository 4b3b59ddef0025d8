package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const (
	vectorRequestID = "11111111-2222-4333-8444-555555555555"
	vectorStreamID  = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	vectorTimestamp = 1760000000000
)

// Wire vectors from internal/wirevectors/rpc_packets.json (encoded by @livekit/protocol).
const (
	vectorV1Request     = "2a03626f6252350a2431313131313131312d323232322d343333332d383434342d35353535353535353535353512046563686f1a0268692098752801800104"
	vectorAck           = "2a05616c6963655a260a2431313131313131312d323232322d343333332d383434342d353535353535353535353535800101"
	vectorV1Success     = "2a05616c69636562280a2431313131313131312d323232322d343333332d383434342d3535353535353535353535351200800105"
	vectorErrorResponse = "2a05616c69636562500a2431313131313131312d323232322d343333332d383434342d3535353535353535353535351a2808f80a12234d6574686f64206e6f7420737570706f727465642061742064657374696e6174696f6e800103"
	vectorV2Header      = "2a03626f626aef010a2461616161616161612d626262622d346363632d386464642d656565656565656565656565108080b3c19c331a0e6c6b2e7270635f72657175657374220a746578742f706c61696e42390a116c6b2e7270635f726571756573745f6964122431313131313131312d323232322d343333332d383434342d353535353535353535353535421d0a156c6b2e7270635f726571756573745f6d6574686f6412046563686f422b0a226c6b2e7270635f726571756573745f726573706f6e73655f74696d656f75745f6d7312053135303030421b0a166c6b2e7270635f726571756573745f76657273696f6e1201324a00800101"
	vectorV2Chunk0      = "2a03626f62722e0a2461616161616161612d626262622d346363632d386464642d6565656565656565656565651a0668c3a96c6c6f800102"
	vectorV2Trailer     = "2a03626f627a260a2461616161616161612d626262622d346363632d386464642d656565656565656565656565800103"
	vectorV2RespHeader  = "2a05616c6963656a87010a2461616161616161612d626262622d346363632d386464642d656565656565656565656565108080b3c19c331a0f6c6b2e7270635f726573706f6e7365220a746578742f706c61696e42390a116c6b2e7270635f726571756573745f6964122431313131313131312d323232322d343333332d383434342d3535353535353535353535354a00800102"
)

// caller is alice's engine on an unwired link, with bob (and carol) in the room.
func newCaller(t *testing.T, bobProtocol int32, opts ...engine.Option) (*fakeLink, *engine.Engine) {
	t.Helper()
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2, link.DefaultCapabilities()...)
	var caps []livekit.ClientInfo_Capability
	if bobProtocol >= link.ProtocolStreamsV2 {
		caps = link.DefaultCapabilities()
	}
	e := newEngine(t, l, opts...)
	l.join(link.Participant{Identity: "bob", ClientProtocol: bobProtocol, Capabilities: caps})
	l.join(link.Participant{Identity: "carol"})
	l.sync()
	return l, e
}

func TestCallV1MatchesWireVectorsAndCompletes(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs(vectorRequestID)))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})

	sameWire(t, l.next(t), vectorPacket(t, vectorV1Request))
	l.deliver(rpcAck("bob", vectorRequestID))
	l.deliver(rpcResponse("bob", vectorRequestID, "ho"))
	r := await(t, res)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.reply.Payload != "ho" {
		t.Errorf("payload = %q, want %q", r.reply.Payload, "ho")
	}
	want := transport.Transfer{Form: transport.FormPacket, Packets: 1, WireBytes: 2}
	if r.reply.Request != want || r.reply.Response != want {
		t.Errorf("transfers = %+v / %+v, want %+v both", r.reply.Request, r.reply.Response, want)
	}
}

func TestCallTimeoutOnTheWire(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	goCall(ctx, e, transport.Call{Destination: "bob", Method: "m", Timeout: 3 * time.Second})
	if got := l.next(t).GetRpcRequest().GetResponseTimeoutMs(); got != 3000 {
		t.Errorf("response_timeout_ms = %d, want 3000", got)
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	goCall(dctx, e, transport.Call{Destination: "bob", Method: "m"})
	if got := l.next(t).GetRpcRequest().GetResponseTimeoutMs(); got < 9000 || got > 10000 {
		t.Errorf("response_timeout_ms from ctx deadline = %d, want about 10000", got)
	}
}

// A destination that advertises 0 gets 1402 at once, saying so; one the
// room has not announced is awaited instead (joinwindow_test.go).
func TestCallTooLargeForV1PeerSendsNothing(t *testing.T) {
	checkGoroutines(t)
	for _, dest := range []string{"bob"} {
		l, e := newCaller(t, link.ProtocolV1)
		_, err := e.Call(context.Background(), transport.Call{Destination: dest, Method: "m", Payload: strings.Repeat("x", 15361)})
		if re := wantCode(t, err, rpcerr.RequestPayloadTooLarge); re.Data != "participant bob advertises client protocol 0: RPC v1 packets only, at most 15360 bytes" {
			t.Errorf("data %q does not say that bob advertises 0", re.Data)
		}
		l.nothingSent(t, 20*time.Millisecond)

		// Exactly at the limit it goes.
		ctx, cancel := context.WithCancel(context.Background())
		res := goCall(ctx, e, transport.Call{Destination: dest, Method: "m", Payload: strings.Repeat("x", 15360)})
		if got := len(l.next(t).GetRpcRequest().GetPayload()); got != 15360 {
			t.Errorf("sent payload of %d bytes, want 15360", got)
		}
		cancel()
		await(t, res)
	}
}

func TestCallAckTimeout(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithAckTimeout(50*time.Millisecond))
	start := time.Now()
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Timeout: time.Minute})
	l.next(t)
	r := await(t, res)
	wantCode(t, r.err, rpcerr.ConnectionTimeout)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("ended after %v, before the 50ms ack timeout", el)
	}
}

func TestCallAckFromOtherParticipantDoesNotCount(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithAckTimeout(50*time.Millisecond), engine.WithIDs(fixedIDs("id-1")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Timeout: time.Minute})
	l.next(t)
	l.deliver(rpcAck("carol", "id-1"))
	wantCode(t, await(t, res).err, rpcerr.ConnectionTimeout)
}

func TestCallResponseTimeout(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithAckTimeout(20*time.Millisecond), engine.WithIDs(fixedIDs("id-1")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Timeout: 80 * time.Millisecond})
	l.next(t)
	l.deliver(rpcAck("bob", "id-1"))
	stillRunning(t, res, 40*time.Millisecond) // acked: the 20ms ack timer no longer fires
	wantCode(t, await(t, res).err, rpcerr.ResponseTimeout)
}

// One timer serves both deadlines: a response deadline sooner than the
// ack deadline ends an unacked call at the response deadline, and an ack
// deadline sooner than the response deadline, with no ack, at the ack
// deadline.
func TestCallEarlierDeadlineWins(t *testing.T) {
	checkGoroutines(t)
	for _, c := range []struct {
		name         string
		ack, timeout time.Duration
		want         int
	}{
		{"response first", 30 * time.Second, 60 * time.Millisecond, rpcerr.ResponseTimeout},
		{"ack first", 60 * time.Millisecond, 30 * time.Second, rpcerr.ConnectionTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, e := newCaller(t, link.ProtocolV1, engine.WithAckTimeout(c.ack))
			start := time.Now()
			res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Timeout: c.timeout})
			l.next(t)
			wantCode(t, await(t, res).err, c.want)
			if el := time.Since(start); el < 60*time.Millisecond || el > 3*time.Second {
				t.Errorf("ended after %v, want at the 60ms deadline", el)
			}
		})
	}
}

func TestCallResponseBeforeAckIsAccepted(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithAckTimeout(30*time.Millisecond), engine.WithIDs(fixedIDs("id-1")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.deliver(rpcResponse("bob", "id-1", "early"))
	r := await(t, res)
	if r.err != nil || r.reply.Payload != "early" {
		t.Fatalf("got %+v", r)
	}
	// The late ack and a duplicate response are dropped without effect.
	l.deliver(rpcAck("bob", "id-1"))
	l.deliver(rpcResponse("bob", "id-1", "again"))
	l.sync()
}

func TestCallErrorResponse(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("id-1")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.deliver(rpcAck("bob", "id-1"))
	l.deliver(rpcErrorResponse("bob", "id-1", 4242, "nope"))
	r := await(t, res)
	re := wantCode(t, r.err, 4242)
	if re.Message != "nope" {
		t.Errorf("message = %q", re.Message)
	}
	// A failed call still says how its request went.
	if got := r.reply.Request; got.Form != transport.FormPacket || got.Packets != 1 {
		t.Errorf("failed call's request transfer = %+v, want one v1 packet", got)
	}
}

func TestCallIgnoresSpoofedAndUnknownResponses(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("id-1")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.deliver(rpcResponse("carol", "id-1", "spoofed"))
	l.deliver(rpcErrorResponse("carol", "id-1", 1500, "spoofed"))
	l.deliver(rpcResponse("bob", "other-id", "unknown"))
	l.deliver(rpcAck("bob", "other-id"))
	l.sync()
	stillRunning(t, res, 10*time.Millisecond)
	l.deliver(rpcResponse("bob", "id-1", "real"))
	if r := await(t, res); r.err != nil || r.reply.Payload != "real" {
		t.Fatalf("got %+v", r)
	}
}

func TestCallDestinationLeaves(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("b1", "b2", "c1")))
	b1 := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	b2 := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	c1 := goCall(context.Background(), e, transport.Call{Destination: "carol", Method: "m"})
	l.next(t)

	l.leave("bob")
	wantCode(t, await(t, b1).err, rpcerr.RecipientDisconnected)
	wantCode(t, await(t, b2).err, rpcerr.RecipientDisconnected)
	stillRunning(t, c1, 10*time.Millisecond)
	l.deliver(rpcResponse("carol", "c1", "ok"))
	if r := await(t, c1); r.err != nil {
		t.Fatal(r.err)
	}
}

func TestCallLinkDisconnected(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.disconnect(errors.New("ice failed"))
	re := wantCode(t, await(t, res).err, rpcerr.RecipientDisconnected)
	if !strings.Contains(re.Message, "ice failed") {
		t.Errorf("error message %q does not name the cause", re.Message)
	}
	_, err := e.Call(context.Background(), transport.Call{Destination: "bob", Method: "m"})
	wantCode(t, err, rpcerr.RecipientDisconnected)
	l.nothingSent(t, 10*time.Millisecond)
}

func TestCallSendFailure(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	l.setHook(func(context.Context, *livekit.DataPacket) error { return errors.New("data channel closed") })
	_, err := e.Call(context.Background(), transport.Call{Destination: "bob", Method: "m"})
	re := wantCode(t, err, rpcerr.SendFailed)
	if !strings.Contains(re.Message, "data channel closed") {
		t.Errorf("error message %q does not name the cause", re.Message)
	}
}

// A send that fails because the link is gone is the link's loss, not a
// failed send: 1503, as when Disconnected arrives first.
func TestCallSendOnClosedLinkIs1503(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	l.setHook(func(context.Context, *livekit.DataPacket) error {
		return fmt.Errorf("fake: %w", link.ErrClosed)
	})
	_, err := e.Call(context.Background(), transport.Call{Destination: "bob", Method: "m"})
	re := wantCode(t, err, rpcerr.RecipientDisconnected)
	if !strings.HasPrefix(re.Message, "link lost: ") {
		t.Errorf("error message %q does not say the link was lost", re.Message)
	}
}

func TestCallContextCanceled(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	ctx, cancel := context.WithCancel(context.Background())
	res := goCall(ctx, e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	cancel()
	if r := await(t, res); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
	// A call on a context that is already over sends nothing.
	_, err := e.Call(ctx, transport.Call{Destination: "bob", Method: "m"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	l.nothingSent(t, 10*time.Millisecond)
}

func TestCallContextDeadlineIsResponseTimeout(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("id-1")))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	res := goCall(ctx, e, transport.Call{Destination: "bob", Method: "m", Timeout: time.Minute})
	l.next(t)
	l.deliver(rpcAck("bob", "id-1"))
	wantCode(t, await(t, res).err, rpcerr.ResponseTimeout)
}

// The response timer starts once the request is published (livekit-client's
// performRpc), so a slow publish does not eat into the call's timeout.
func TestCallResponseTimerStartsAfterPublish(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("id-1")))
	release := make(chan struct{})
	l.setHook(func(ctx context.Context, _ *livekit.DataPacket) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Timeout: 50 * time.Millisecond})
	l.deliver(rpcAck("bob", "id-1"))
	stillRunning(t, res, 150*time.Millisecond) // three timeouts while publishing
	close(release)
	l.next(t)
	l.deliver(rpcResponse("bob", "id-1", "ok"))
	if r := await(t, res); r.err != nil {
		t.Fatalf("call failed: %v", r.err)
	}
}

// The ack timer starts when the request is published, not when the call
// starts: compressing a large payload first is the caller's time, not the
// peer's (on a loaded machine 10 MiB took seconds of a 7 s budget).
func TestCallAckTimerStartsAfterCompression(t *testing.T) {
	checkGoroutines(t)
	payload := jsonLike(4 << 20)
	// The ack timeout is a quarter of what encoding this payload takes here,
	// so an ack timer armed before encoding would always fire first.
	start := time.Now()
	if _, info, err := datastream.Encode(datastream.Outgoing{StreamID: "s", Topic: engine.TopicRequest, Text: payload},
		datastream.SendOptions{Inline: true, Compress: true}); err != nil || !info.Compressed {
		t.Fatalf("Encode: %+v, %v; want a compressed stream", info, err)
	}
	ackTimeout := max(time.Since(start)/4, time.Millisecond)

	l, e := newCaller(t, link.ProtocolStreamsV2, engine.WithIDs(fixedIDs("id-1", "stream-1")), engine.WithAckTimeout(ackTimeout))
	l.setHook(func(_ context.Context, pkt *livekit.DataPacket) error {
		switch pkt.Value.(type) {
		case *livekit.DataPacket_StreamHeader:
			l.deliver(rpcAck("bob", "id-1")) // a peer that acks at once
		case *livekit.DataPacket_StreamTrailer:
			l.deliver(rpcResponse("bob", "id-1", "done"))
		}
		return nil
	})
	r := await(t, goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Payload: payload, Timeout: time.Minute}))
	if r.err != nil || r.reply.Payload != "done" {
		t.Fatalf("call with a %v ack timeout: %v, %v; want the reply", ackTimeout, r.reply, r.err)
	}
}

// jsonLike returns about n bytes of JSON records that compress as real
// ones do (repeated keys, varying values).
func jsonLike(n int) string {
	var b strings.Builder
	x := uint32(1)
	for i := 0; b.Len() < n; i++ {
		x = x*1664525 + 1013904223
		fmt.Fprintf(&b, `{"id":%d,"speaker":"user-%d","start_ms":%d,"text":"word%d word%d"},`, i, x%12, x%100000, x%997, x%89)
	}
	return b.String()
}

func TestCallBadInput(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolStreamsV2)
	cases := []struct {
		name string
		call transport.Call
		code int
	}{
		{"empty destination", transport.Call{Method: "m"}, rpcerr.RecipientNotFound},
		{"empty method", transport.Call{Destination: "bob"}, rpcerr.SendFailed},
		{"invalid UTF-8 payload", transport.Call{Destination: "bob", Method: "m", Payload: "\xff"}, rpcerr.SendFailed},
		{"negative timeout", transport.Call{Destination: "bob", Method: "m", Timeout: -time.Second}, rpcerr.SendFailed},
		{"unknown form", transport.Call{Destination: "bob", Method: "m", Force: transport.Form(9)}, rpcerr.SendFailed},
		{"forced packet too large", transport.Call{Destination: "bob", Method: "m", Force: transport.FormPacket,
			Payload: strings.Repeat("x", 15361)}, rpcerr.RequestPayloadTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Call(context.Background(), c.call)
			wantCode(t, err, c.code)
		})
	}
	l.nothingSent(t, 10*time.Millisecond)
}

func TestCloseFailsPendingCalls(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1)
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	re := wantCode(t, await(t, res).err, rpcerr.RecipientDisconnected)
	if re.Message != "engine closed" {
		t.Errorf("error %q does not say the engine closed", re)
	}
	_, err := e.Call(context.Background(), transport.Call{Destination: "bob", Method: "m"})
	wantCode(t, err, rpcerr.RecipientDisconnected)
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
