package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// waitLimit bounds every wait so that a broken engine fails a test instead
// of hanging it. Nothing waits for it to let something happen.
const waitLimit = 15 * time.Second

// bed is one memroom with a log of everything it routed.
type bed struct {
	t    *testing.T
	room *memroom.Room
	log  *packetLog
}

func newBed(t *testing.T, opts ...memroom.Option) *bed {
	t.Helper()
	before := goleak.IgnoreCurrent()
	room, err := memroom.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{t: t, room: room, log: newPacketLog()}
	t.Cleanup(func() {
		b.room.Close()
		// No goroutine started since (the engines', the room's, these
		// tests') outlives it.
		leakcheck.Verify(t, time.Second, before)
	})
	b.room.Observe(b.log.add)
	return b
}

// engine joins identity to the room and runs an engine on it; both end with
// the test.
func (b *bed) engine(identity string, join []memroom.JoinOption, opts ...engine.Option) *engine.Engine {
	b.t.Helper()
	p, err := b.room.Join(identity, join...)
	if err != nil {
		b.t.Fatalf("join %s: %v", identity, err)
	}
	e, err := engine.New(p, opts...)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = e.Close() })
	return e
}

// Join options by what a participant advertises: v2 is lkrpc's default
// (protocol 2 + deflate); noDeflate is protocol 2 without capabilities;
// protocol1 and protocol0 advertise those protocols and nothing else.
var (
	v2        []memroom.JoinOption
	protocol1 = []memroom.JoinOption{memroom.WithClientProtocol(1), memroom.WithCapabilities()}
	protocol0 = []memroom.JoinOption{memroom.WithClientProtocol(0), memroom.WithCapabilities()}
	noDeflate = []memroom.JoinOption{memroom.WithClientProtocol(2), memroom.WithCapabilities()}
)

// serve registers a handler on e for the test's lifetime.
func serve(t *testing.T, e *engine.Engine, method string, h transport.Handler) {
	t.Helper()
	unregister, err := e.Register(method, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
}

// echo answers with the request payload.
func echo(_ context.Context, req *transport.Request) (string, error) { return req.Payload, nil }

// answer answers every request with payload.
func answer(payload string) transport.Handler {
	return func(context.Context, *transport.Request) (string, error) { return payload, nil }
}

// call makes a call with the bed's wait limit as its ctx deadline guard.
func call(t *testing.T, e *engine.Engine, c transport.Call) (transport.Reply, error) {
	t.Helper()
	if c.Timeout == 0 {
		c.Timeout = waitLimit - time.Second
	}
	// The ctx outlives the call's own timeout, which would otherwise be cut
	// to the ctx's deadline (transport.ResponseTimeout) and change what the
	// request says on the wire.
	ctx, cancel := context.WithTimeout(t.Context(), max(waitLimit, c.Timeout+time.Second))
	defer cancel()
	return e.Call(ctx, c)
}

// mustCall is call that must succeed.
func mustCall(t *testing.T, e *engine.Engine, c transport.Call) transport.Reply {
	t.Helper()
	r, err := call(t, e, c)
	if err != nil {
		t.Fatalf("call %s → %s: %v", c.Method, c.Destination, err)
	}
	return r
}

// wantCode checks that err is an RPC error with code.
func wantCode(t *testing.T, err error, code int) *rpcerr.Error {
	t.Helper()
	re, ok := rpcerr.From(err)
	if !ok {
		t.Fatalf("error %v (%T), want RPC error %d", err, err, code)
	}
	if re.Code != code {
		t.Fatalf("error %v, want code %d", re, code)
	}
	return re
}

// raw joins a participant that only sends what the test scripts and
// discards what it receives.
func (b *bed) raw(identity string, join ...memroom.JoinOption) *memroom.Link {
	b.t.Helper()
	p, err := b.room.Join(identity, join...)
	if err != nil {
		b.t.Fatal(err)
	}
	p.Attach(discard{})
	b.t.Cleanup(func() { _ = p.Close() })
	return p
}

type discard struct{}

func (discard) ReceivePacket(*livekit.DataPacket) {}
func (discard) ParticipantChanged(link.Event)     {}
func (discard) Disconnected(error)                {}

// rawSend publishes pkt from p.
func rawSend(t *testing.T, p *memroom.Link, pkt *livekit.DataPacket) {
	t.Helper()
	if err := p.Send(t.Context(), pkt); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// rpcRequest builds an RPC v1 request packet.
func rpcRequest(dest, id, method, payload string, version uint32) *livekit.DataPacket {
	return &livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{
			Id: id, Method: method, Payload: payload, ResponseTimeoutMs: 10000, Version: version}}}
}

// requestID returns the request id a packet refers to ("" for none).
func requestID(p *livekit.DataPacket) string {
	switch v := p.Value.(type) {
	case reqPkt:
		return v.RpcRequest.GetId()
	case ackPkt:
		return v.RpcAck.GetRequestId()
	case respPkt:
		return v.RpcResponse.GetRequestId()
	case headerPkt:
		return v.StreamHeader.GetAttributes()[jsAttrID]
	}
	return ""
}

func forID(id string) func(memroom.Delivery) bool {
	return func(d memroom.Delivery) bool { return requestID(d.Packet) == id }
}

// block is a handler that never answers: it waits until the test ends,
// ignoring its own deadline (which would otherwise answer 1500 as the
// caller's timeout expires). entered reports each request it receives.
func block(t *testing.T, entered chan<- *transport.Request) transport.Handler {
	return func(_ context.Context, req *transport.Request) (string, error) {
		if entered != nil {
			entered <- req
		}
		<-t.Context().Done()
		return "", t.Context().Err()
	}
}

type contextT = context.Context
