package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// newServer is bob's engine on an unwired link, with alice (the caller) in
// the room at the given client protocol.
func newServer(t *testing.T, aliceProtocol int32, opts ...engine.Option) (*fakeLink, *engine.Engine) {
	t.Helper()
	l := newFakeLink(t, "bob", link.ProtocolStreamsV2, link.DefaultCapabilities()...)
	var caps []livekit.ClientInfo_Capability
	if aliceProtocol >= link.ProtocolStreamsV2 {
		caps = link.DefaultCapabilities()
	}
	e := newEngine(t, l, opts...)
	l.join(link.Participant{Identity: "alice", ClientProtocol: aliceProtocol, Capabilities: caps})
	l.sync()
	return l, e
}

func register(t *testing.T, e *engine.Engine, method string, h transport.Handler) {
	t.Helper()
	if _, err := e.Register(method, h); err != nil {
		t.Fatal(err)
	}
}

func echo(_ context.Context, req *transport.Request) (string, error) { return req.Payload, nil }

func TestServeV1AcksFirstThenAnswers(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	register(t, e, "echo", func(_ context.Context, req *transport.Request) (string, error) {
		if req.Caller != "alice" || req.RequestID != vectorRequestID || req.Payload != "hi" ||
			req.ResponseTimeout != 15*time.Second || req.Transfer.Form != transport.FormPacket {
			return "", rpcerr.Newf(4000, "unexpected request %+v", req)
		}
		return "", nil
	})
	l.deliver(rpcRequest("alice", vectorRequestID, "echo", "hi", 15000, 1))
	sameWire(t, l.next(t), vectorPacket(t, vectorAck))
	sameWire(t, l.next(t), vectorPacket(t, vectorV1Success)) // empty payload still sets the oneof
}

func TestServeV1UnknownMethod(t *testing.T) {
	checkGoroutines(t)
	l, _ := newServer(t, link.ProtocolV1)
	l.deliver(rpcRequest("alice", vectorRequestID, "echo", "hi", 15000, 1))
	wantAck(t, l.next(t), "alice", vectorRequestID)
	sameWire(t, l.next(t), vectorPacket(t, vectorErrorResponse))
}

func TestServeV1UnsupportedVersion(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	register(t, e, "echo", echo)
	for _, version := range []uint32{0, 2} {
		l.deliver(rpcRequest("alice", "r1", "echo", "hi", 15000, version))
		wantAck(t, l.next(t), "alice", "r1")
		wantError(t, l.next(t), "alice", "r1", rpcerr.UnsupportedVersion)
	}
}

func TestServeDoesNotDeduplicateRequestIDs(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	calls := make(chan string, 2)
	register(t, e, "echo", func(_ context.Context, req *transport.Request) (string, error) {
		calls <- req.Payload
		return req.Payload, nil
	})
	l.deliver(rpcRequest("alice", "same", "echo", "one", 15000, 1))
	l.deliver(rpcRequest("alice", "same", "echo", "two", 15000, 1))
	got := map[string]bool{<-calls: true, <-calls: true}
	if !got["one"] || !got["two"] {
		t.Fatalf("handler saw %v, want both requests", got)
	}
	for range 4 {
		l.next(t) // two acks, two responses
	}
}

func TestServeHandlerErrors(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	long := strings.Repeat("é", 200) // 400 bytes
	register(t, e, "rpc", func(context.Context, *transport.Request) (string, error) {
		return "", &rpcerr.Error{Code: 4001, Message: long, Data: strings.Repeat("d", 20000)}
	})
	register(t, e, "wrapped", func(context.Context, *transport.Request) (string, error) {
		return "", errors.Join(errors.New("context"), rpcerr.New(4002, "inner"))
	})
	register(t, e, "plain", func(context.Context, *transport.Request) (string, error) {
		return "", errors.New("secret internal detail")
	})
	register(t, e, "panic", func(context.Context, *transport.Request) (string, error) {
		panic("boom")
	})
	register(t, e, "bad-utf8", func(context.Context, *transport.Request) (string, error) {
		return "\xff", nil
	})

	l.deliver(rpcRequest("alice", "r1", "rpc", "", 15000, 1))
	wantAck(t, l.next(t), "alice", "r1")
	re := wantError(t, l.next(t), "alice", "r1", 4001)
	if re.GetMessage() != rpcerr.TruncateUTF8(long, 256) || len(re.GetData()) != rpcerr.MaxDataBytes {
		t.Errorf("error not truncated to the wire limits: message %d bytes, data %d bytes",
			len(re.GetMessage()), len(re.GetData()))
	}

	l.deliver(rpcRequest("alice", "r2", "wrapped", "", 15000, 1))
	wantAck(t, l.next(t), "alice", "r2")
	wantError(t, l.next(t), "alice", "r2", 4002)

	l.deliver(rpcRequest("alice", "r3", "plain", "", 15000, 1))
	wantAck(t, l.next(t), "alice", "r3")
	if re := wantError(t, l.next(t), "alice", "r3", rpcerr.ApplicationError); strings.Contains(re.String(), "secret") {
		t.Errorf("internal error text leaked to the caller: %v", re)
	}

	l.deliver(rpcRequest("alice", "r4", "panic", "", 15000, 1))
	wantAck(t, l.next(t), "alice", "r4")
	wantError(t, l.next(t), "alice", "r4", rpcerr.ApplicationError)

	l.deliver(rpcRequest("alice", "r5", "bad-utf8", "", 15000, 1))
	wantAck(t, l.next(t), "alice", "r5")
	wantError(t, l.next(t), "alice", "r5", rpcerr.ApplicationError)
}

func TestServeHandlerContextDeadline(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	deadlines := make(chan time.Duration, 2)
	register(t, e, "m", func(ctx context.Context, _ *transport.Request) (string, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			return "", errors.New("no deadline")
		}
		deadlines <- time.Until(dl)
		return "", nil
	})
	l.deliver(rpcRequest("alice", "r1", "m", "", 3000, 1))
	if d := <-deadlines; d <= 2*time.Second || d > 3*time.Second {
		t.Errorf("handler deadline in %v, want about 3s", d)
	}
	// No advisory timeout: the engine default.
	l.deliver(rpcRequest("alice", "r2", "m", "", 0, 1))
	if d := <-deadlines; d <= 14*time.Second || d > 15*time.Second {
		t.Errorf("handler deadline in %v, want about 15s", d)
	}
	for range 4 {
		l.next(t)
	}
}

func TestServeHandlerCancelledWhenCallerLeaves(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	started, ended := make(chan struct{}), make(chan error, 1)
	register(t, e, "wait", func(ctx context.Context, _ *transport.Request) (string, error) {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return "", ctx.Err()
	})
	l.deliver(rpcRequest("alice", "r1", "wait", "", 60000, 1))
	wantAck(t, l.next(t), "alice", "r1")
	<-started
	l.leave("alice")
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx ended with %v, want Canceled", err)
	}
}

func TestServeHandlerCancelledOnClose(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	started := make(chan struct{})
	register(t, e, "wait", func(ctx context.Context, _ *transport.Request) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	l.deliver(rpcRequest("alice", "r1", "wait", "", 60000, 1))
	<-started
	if err := e.Close(); err != nil { // returns only once the handler has returned
		t.Fatal(err)
	}
}

func TestServeConcurrencyLimitPerCaller(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1, engine.WithInboundLimits(engine.InboundLimits{MaxRequestsPerSender: 1}))
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	register(t, e, "wait", func(ctx context.Context, _ *transport.Request) (string, error) {
		started <- struct{}{}
		<-release
		return "done", nil
	})
	l.deliver(rpcRequest("alice", "r1", "wait", "", 60000, 1))
	wantAck(t, l.next(t), "alice", "r1")
	<-started
	l.deliver(rpcRequest("alice", "r2", "wait", "", 60000, 1))
	wantAck(t, l.next(t), "alice", "r2")
	wantError(t, l.next(t), "alice", "r2", rpcerr.ApplicationError)
	close(release)
	wantPayload(t, l.next(t), "alice", "r1", "done")
}

func TestRegister(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	if _, err := e.Register("", echo); err == nil {
		t.Error("empty method accepted")
	}
	if _, err := e.Register("m", nil); err == nil {
		t.Error("nil handler accepted")
	}
	unregister, err := e.Register("m", echo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Register("m", echo); err == nil {
		t.Error("duplicate registration accepted")
	}
	unregister()
	unregister2, err := e.Register("m", echo)
	if err != nil {
		t.Fatalf("re-register after unregister: %v", err)
	}
	unregister() // a stale unregister must not remove the new registration
	l.deliver(rpcRequest("alice", "r1", "m", "x", 15000, 1))
	wantAck(t, l.next(t), "alice", "r1")
	wantPayload(t, l.next(t), "alice", "r1", "x")
	unregister2()
	l.deliver(rpcRequest("alice", "r2", "m", "x", 15000, 1))
	wantAck(t, l.next(t), "alice", "r2")
	wantError(t, l.next(t), "alice", "r2", rpcerr.UnsupportedMethod)
}

func TestServeHandlerCancelledWhenLinkLost(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	started, ended := make(chan struct{}), make(chan error, 1)
	register(t, e, "wait", func(ctx context.Context, _ *transport.Request) (string, error) {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return "", ctx.Err()
	})
	l.deliver(rpcRequest("alice", "r1", "wait", "", 60000, 1))
	<-started
	l.disconnect(errors.New("signal connection dropped"))
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx ended with %v, want Canceled", err)
	}
}
