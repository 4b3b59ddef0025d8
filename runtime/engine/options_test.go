package engine_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestWithDefaultTimeout(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithDefaultTimeout(2*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := goCall(ctx, e, transport.Call{Destination: "bob", Method: "m"})
	if got := l.next(t).GetRpcRequest().GetResponseTimeoutMs(); got != 2000 {
		t.Errorf("response_timeout_ms = %d, want the 2000 default", got)
	}
	cancel()
	await(t, res)
}

func TestWithCompressMin(t *testing.T) {
	checkGoroutines(t)
	payload := compressible(8000)
	for _, c := range []struct {
		min        int
		compressed bool
	}{{8001, false}, {8000, true}} {
		p := newPair(t, link.ProtocolStreamsV2, link.ProtocolStreamsV2, engine.WithCompressMin(c.min))
		register(t, p.bob, "echo", echo)
		r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		if r.Request.Compressed != c.compressed {
			t.Errorf("compress min %d: request %v, want compressed=%v", c.min, r.Request, c.compressed)
		}
	}
}

// syncBuffer is a log sink safe for the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWithLoggerReportsPanicsAndDrops(t *testing.T) {
	checkGoroutines(t)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l, e := newServer(t, link.ProtocolV1, engine.WithLogger(logger))
	register(t, e, "panic", func(context.Context, *transport.Request) (string, error) { panic("kaboom") })
	l.deliver(rpcRequest("alice", "r1", "panic", "", 1000, 1))
	l.next(t)
	wantError(t, l.next(t), "alice", "r1", rpcerr.ApplicationError)
	l.deliver(rpcAck("carol", "nobody-called"))
	l.sync()
	out := logs.String()
	for _, want := range []string{"level=ERROR", "handler panicked", "kaboom", "ack for unknown or finished call"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestOtherStreamTopicsAreIgnored(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	register(t, e, "echo", echo)
	for _, pkt := range streamPackets(t, "alice", datastream.Outgoing{
		StreamID: "chat-1", Topic: "lk.chat", Timestamp: vectorTimestamp,
		Attributes: requestStreamAttrs("r1", "echo", 1000, "2"), Destinations: []string{"bob"}, Text: "hello",
	}, datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	l.nothingSent(t, 20*time.Millisecond)
}

func TestUnusualResponsePackets(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolV1, engine.WithIDs(fixedIDs("id-1", "id-2")))

	// Neither payload nor error: an empty success.
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.deliver(from("bob", &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{RequestId: "id-1"}}}))
	if r := await(t, res); r.err != nil || r.reply.Payload != "" {
		t.Fatalf("got %+v", r)
	}

	// compressed_payload, which no SDK sends: a clear failure, not a timeout.
	res = goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m"})
	l.next(t)
	l.deliver(from("bob", &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
		RequestId: "id-2", Value: &livekit.RpcResponse_CompressedPayload{CompressedPayload: []byte{1}},
	}}}))
	wantCode(t, await(t, res).err, rpcerr.ApplicationError)
}

// An option given a value it cannot use makes New fail with an error
// naming the option, every such option at once, and leaves the link
// unattached; the edges of each range are accepted.
func TestInvalidOptions(t *testing.T) {
	checkGoroutines(t)
	for _, c := range []struct {
		opt  engine.Option
		name string // "" = valid
	}{
		{engine.WithAckTimeout(0), "WithAckTimeout"},
		{engine.WithAckTimeout(-time.Second), "WithAckTimeout"},
		{engine.WithDefaultTimeout(0), "WithDefaultTimeout"},
		{engine.WithPacketThreshold(-1), "WithPacketThreshold"},
		{engine.WithPacketThreshold(engine.MaxPacketPayload + 1), "WithPacketThreshold"},
		{engine.WithPacketThreshold(0), ""},
		{engine.WithPacketThreshold(engine.MaxPacketPayload), ""},
		{engine.WithCompressMin(-1), "WithCompressMin"},
		{engine.WithCompressLevel(42), "WithCompressLevel"},
		{engine.WithCompressLevel(-3), "WithCompressLevel"},
		{engine.WithCompressLevel(-2), ""},
		{engine.WithCompressLevel(9), ""},
		{engine.WithChunkBytes(1), "WithChunkBytes"},
		{engine.WithChunkBytes(datastream.MaxChunkBytes + 1), "WithChunkBytes"},
		{engine.WithChunkBytes(0), ""},
		{engine.WithChunkBytes(datastream.MinChunkBytes), ""},
		{engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: -1}), "WithInboundLimits"},
		{engine.WithInboundLimits(engine.InboundLimits{MaxRequestsPerSender: -1}), "WithInboundLimits"},
		{engine.WithLogger(nil), "WithLogger"},
		{engine.WithIDs(nil), "WithIDs"},
		{engine.WithClock(nil), "WithClock"},
	} {
		l := newFakeLink(t, "alice", link.ProtocolV1)
		e, err := engine.New(l, c.opt)
		if c.name == "" {
			if err != nil {
				t.Errorf("valid option refused: %v", err)
				continue
			}
			_ = e.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: New error = %v, want one naming the option", c.name, err)
		}
		if l.receiver() != nil {
			t.Errorf("%s: the link was attached to an engine that was not made", c.name)
		}
	}
	_, err := engine.New(newFakeLink(t, "alice", link.ProtocolV1), engine.WithAckTimeout(0), engine.WithClock(nil))
	if err == nil || !strings.Contains(err.Error(), "WithAckTimeout") || !strings.Contains(err.Error(), "WithClock") {
		t.Errorf("two bad options: error %v, want both named", err)
	}
}
