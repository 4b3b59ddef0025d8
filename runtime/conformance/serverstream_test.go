package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/discovery"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// PROTOCOL.md §8, server streaming, engine to engine on memroom: alice
// calls, bob serves. Each test names the rule it checks in RULES.md.

// streamBed joins alice and bob, each with an engine, and returns their
// links too (to leave the room).
type streamPair struct {
	alice, bob         *engine.Engine
	aliceLink, bobLink *memroom.Link
}

func newStreamPair(t *testing.T, opts ...engine.Option) streamPair {
	t.Helper()
	b := newBed(t)
	join := func(identity string) (*engine.Engine, *memroom.Link) {
		l, err := b.room.Join(identity)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		e, err := engine.New(l, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e, l
	}
	var p streamPair
	p.alice, p.aliceLink = join("alice")
	p.bob, p.bobLink = join("bob")
	return p
}

func registerStream(t *testing.T, e *engine.Engine, method string, h transport.StreamHandler) {
	t.Helper()
	if _, err := e.RegisterStream(method, h); err != nil {
		t.Fatal(err)
	}
}

func callStream(t *testing.T, e *engine.Engine, c transport.StreamCall) transport.ReplyStream {
	t.Helper()
	if c.Destination == "" {
		c.Destination = "bob"
	}
	rs, err := e.CallStream(context.Background(), c)
	if err != nil {
		t.Fatalf("CallStream: %v", err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	return rs
}

// drain reads every message, then the end.
func drain(rs transport.ReplyStream) ([]string, error) {
	var got []string
	for {
		p, err := rs.Recv()
		if err != nil {
			return got, err
		}
		got = append(got, p)
	}
}

func TestStream_MessagesInOrderFramedAcrossChunks(t *testing.T) {
	p := newStreamPair(t)
	sizes := []int{0, 1, 100, 14999, 15000, 15001, 40000, 3}
	registerStream(t, p.bob, "sizes", func(_ context.Context, req *transport.Request, send func(string) error) error {
		if req.Payload != "go" || req.Caller != "alice" {
			return fmt.Errorf("request %q from %q", req.Payload, req.Caller)
		}
		for i, n := range sizes {
			if err := send(fmt.Sprintf("%d:%s", i, strings.Repeat("é", n/2))); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := drain(callStream(t, p.alice, transport.StreamCall{Method: "sizes", Payload: "go"}))
	if !errors.Is(err, io.EOF) || len(got) != len(sizes) {
		t.Fatalf("%d messages, end %v; want %d and io.EOF", len(got), err, len(sizes))
	}
	for i, n := range sizes {
		if want := fmt.Sprintf("%d:%s", i, strings.Repeat("é", n/2)); got[i] != want {
			t.Fatalf("message %d: %d bytes, want %d", i, len(got[i]), len(want))
		}
	}
}

func TestStream_EndFrameCarriesTheHandlersError(t *testing.T) {
	p := newStreamPair(t)
	registerStream(t, p.bob, "fails", func(_ context.Context, _ *transport.Request, send func(string) error) error {
		_ = send("one")
		_ = send("two")
		return rpcerr.BuiltinData(4040, `{"details":[]}`)
	})
	registerStream(t, p.bob, "plain", func(context.Context, *transport.Request, func(string) error) error {
		return errors.New("secret")
	})
	got, err := drain(callStream(t, p.alice, transport.StreamCall{Method: "fails"}))
	if e, ok := rpcerr.From(err); !ok || e.Code != 4040 || e.Data != `{"details":[]}` || strings.Join(got, ",") != "one,two" {
		t.Fatalf("got %q, end %v; want one,two then 4040 with data", got, err)
	}
	_, err = drain(callStream(t, p.alice, transport.StreamCall{Method: "plain"}))
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.ApplicationError || strings.Contains(e.Error(), "secret") {
		t.Fatalf("plain error: %v; want 1500 without its text", err)
	}
	_, err = drain(callStream(t, p.alice, transport.StreamCall{Method: "nothing"}))
	if rpcerr.Code(err) != rpcerr.UnsupportedMethod {
		t.Fatalf("unknown method: %v, want 1400", err)
	}
}

// cancelled records how a handler's context ended.
type cancelled struct {
	once sync.Once
	at   chan time.Time
}

func newCancelled() *cancelled { return &cancelled{at: make(chan time.Time, 1)} }

// forever streams a message every 5 ms until its context ends.
func (c *cancelled) forever(ctx context.Context, _ *transport.Request, send func(string) error) error {
	for i := 0; ; i++ {
		if err := send(fmt.Sprint(i)); err != nil {
			c.once.Do(func() { c.at <- time.Now() })
			return err
		}
		select {
		case <-ctx.Done():
			c.once.Do(func() { c.at <- time.Now() })
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (c *cancelled) within(t *testing.T, since time.Time, d time.Duration) {
	t.Helper()
	select {
	case at := <-c.at:
		if took := at.Sub(since); took > d {
			t.Fatalf("the handler stopped %v after the caller, want within %v", took, d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler never stopped")
	}
}

func TestStream_CloseAndCancelReachTheHandler(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "forever", h.forever)

	rs := callStream(t, p.alice, transport.StreamCall{Method: "forever"})
	for range 3 {
		if _, err := rs.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	_ = rs.Close()
	h.within(t, start, time.Second)
	if _, err := rs.Recv(); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("Recv after Close = %v, want the close", err)
	}

	h = newCancelled()
	registerStream(t, p.bob, "forever2", h.forever)
	ctx, cancel := context.WithCancel(context.Background())
	rs, err := p.alice.CallStream(ctx, transport.StreamCall{Destination: "bob", Method: "forever2"})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	cancel()
	if _, err := drain(rs); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v, want context.Canceled", err)
	}
	h.within(t, start, time.Second)
}

func TestStream_HandlerLeavingFails1503(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "forever", h.forever)

	// The handler leaves: 1503 for the caller.
	rs := callStream(t, p.alice, transport.StreamCall{Method: "forever"})
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	_ = p.bobLink.Close()
	if _, err := drain(rs); rpcerr.Code(err) != rpcerr.RecipientDisconnected {
		t.Fatalf("handler left: %v, want 1503", err)
	}
}

func TestStream_CallerLeavingCancelsTheHandler(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "forever", h.forever)
	rs := callStream(t, p.alice, transport.StreamCall{Method: "forever"})
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = p.aliceLink.Close()
	h.within(t, start, time.Second)
}

func TestStream_FirstMessageAndIdleTimeoutsFail1502(t *testing.T) {
	p := newStreamPair(t)
	release := make(chan struct{})
	defer close(release)
	registerStream(t, p.bob, "slow-start", func(ctx context.Context, _ *transport.Request, send func(string) error) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	registerStream(t, p.bob, "pause", func(ctx context.Context, _ *transport.Request, send func(string) error) error {
		_ = send("first")
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	start := time.Now()
	_, err := drain(callStream(t, p.alice, transport.StreamCall{Method: "slow-start", FirstTimeout: 200 * time.Millisecond}))
	if rpcerr.Code(err) != rpcerr.ResponseTimeout || time.Since(start) > time.Second {
		t.Fatalf("first-message timeout: %v after %v, want 1502 after 200ms", err, time.Since(start))
	}
	start = time.Now()
	got, err := drain(callStream(t, p.alice, transport.StreamCall{Method: "pause", FirstTimeout: 5 * time.Second, Idle: 200 * time.Millisecond}))
	if rpcerr.Code(err) != rpcerr.ResponseTimeout || len(got) != 1 || time.Since(start) > time.Second {
		t.Fatalf("idle timeout: %q then %v after %v, want one message then 1502", got, err, time.Since(start))
	}
}

func TestStream_CapsFail1504AndStopTheHandler(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "big", func(ctx context.Context, req *transport.Request, send func(string) error) error {
		_ = send("small")
		_ = send(strings.Repeat("x", 2000))
		return h.forever(ctx, req, send)
	})
	got, err := drain(callStream(t, p.alice, transport.StreamCall{Method: "big", MaxMessageBytes: 1000}))
	if rpcerr.Code(err) != rpcerr.ResponsePayloadTooLarge || len(got) != 1 {
		t.Fatalf("message cap: %d messages then %v, want 1 then 1504", len(got), err)
	}
	h.within(t, time.Now(), 2*time.Second) // told to stop

	registerStream(t, p.bob, "many", newCancelled().forever)
	got, err = drain(callStream(t, p.alice, transport.StreamCall{Method: "many", MaxStreamBytes: 100}))
	if rpcerr.Code(err) != rpcerr.ResponsePayloadTooLarge || len(got) > 40 {
		t.Fatalf("stream cap: %d messages then %v, want 1504 within 100 bytes", len(got), err)
	}
}

// A consumer slower than its producer holds the producer back: the handler
// never gets more than a window ahead of what the caller has read.
func TestStream_CreditHoldsAFastHandlerToTheWindow(t *testing.T) {
	p := newStreamPair(t)
	const window, msg, total = 4096, 100, 400 // frames of 102 bytes
	var sent atomic.Int64
	registerStream(t, p.bob, "fast", func(_ context.Context, _ *transport.Request, send func(string) error) error {
		for range total {
			if err := send(strings.Repeat("x", msg)); err != nil {
				return err
			}
			sent.Add(1)
		}
		return nil
	})
	rs := callStream(t, p.alice, transport.StreamCall{Method: "fast", Window: window})
	maxAhead := int64(0)
	for read := int64(0); ; read++ {
		if read%50 == 0 {
			time.Sleep(20 * time.Millisecond) // a slow reader, now and then
		}
		ahead := sent.Load() - read
		maxAhead = max(maxAhead, ahead)
		if _, err := rs.Recv(); err != nil {
			if !errors.Is(err, io.EOF) || read != total {
				t.Fatalf("after %d messages: %v", read, err)
			}
			break
		}
	}
	// Credit comes every half window; with it in flight the handler can be a
	// window plus the half not yet credited ahead, never more.
	if limit := int64(window*3/2/(msg+2)) + 2; maxAhead > limit {
		t.Fatalf("the handler got %d messages ahead of the reader, want at most %d", maxAhead, limit)
	}
	t.Logf("the handler was at most %d messages (of %d bytes) ahead of the reader with a %d-byte window", maxAhead, msg+2, window)
}

func TestStream_PeerWithoutLkrpcFails1501(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2, engine.WithAckTimeout(300*time.Millisecond))
	b.raw("bob") // a plain SDK peer: nobody answers lkrpc.stream topics
	_, err := drain(callStream(t, alice, transport.StreamCall{Method: "m"}))
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.ConnectionTimeout || !strings.Contains(e.Data, "without lkrpc") {
		t.Fatalf("%v, want 1501 saying bob may not run lkrpc", err)
	}
}

func TestStream_DestinationAdvertisingOtherServicesFails1400AtOnce(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	b.raw("carol", memroom.WithAttributes(map[string]string{discovery.Attribute: "other.v1.Thing"}))
	_, err := alice.CallStream(context.Background(), transport.StreamCall{Destination: "carol", Method: "m", Service: "my.v1.Service"})
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.UnsupportedMethod || !strings.Contains(e.Data, "other.v1.Thing") {
		t.Fatalf("%v, want 1400 saying what carol serves", err)
	}
	if n := len(b.log.where(func(d memroom.Delivery) bool { return slices.Contains(d.To, "carol") })); n != 0 {
		t.Fatalf("%d packets reached carol, want none", n)
	}
}

func TestStream_EngineCloseEndsCallsAndHandlers(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "forever", h.forever)
	rs := callStream(t, p.alice, transport.StreamCall{Method: "forever"})
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = p.bob.Close()
	h.within(t, start, time.Second)
	_ = p.alice.Close()
	if _, err := drain(rs); rpcerr.Code(err) != rpcerr.RecipientDisconnected {
		t.Fatalf("after the caller's engine closed: %v, want 1503", err)
	}
	if _, err := p.alice.CallStream(context.Background(), transport.StreamCall{Destination: "bob", Method: "forever"}); rpcerr.Code(err) != rpcerr.RecipientDisconnected {
		t.Fatalf("a call on a closed engine: %v, want 1503", err)
	}
}

func TestStream_CallerClosingTellsTheHandlerAtOnce(t *testing.T) {
	p := newStreamPair(t)
	h := newCancelled()
	registerStream(t, p.bob, "forever", h.forever)
	rs := callStream(t, p.alice, transport.StreamCall{Method: "forever"})
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	// alice's engine closes while her link stays in the room: only her
	// cancel can tell bob, not a leave.
	start := time.Now()
	_ = p.alice.Close()
	h.within(t, start, time.Second)
	if _, err := drain(rs); rpcerr.Code(err) != rpcerr.RecipientDisconnected {
		t.Fatalf("the caller's own call after Close: %v, want 1503", err)
	}
}

// A cancel that follows the request at once (before the handler's
// goroutine has even started) still stops the handler.
func TestStream_CancelRightAfterTheRequestStopsTheHandler(t *testing.T) {
	p := newStreamPair(t)
	var started, stopped atomic.Int32
	registerStream(t, p.bob, "wait", func(ctx context.Context, _ *transport.Request, _ func(string) error) error {
		started.Add(1)
		defer stopped.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(waitLimit):
			return errors.New("never cancelled")
		}
	})
	const n = 30
	for range n {
		rs, err := p.alice.CallStream(context.Background(), transport.StreamCall{Destination: "bob", Method: "wait"})
		if err != nil {
			t.Fatal(err)
		}
		_ = rs.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for stopped.Load() < started.Load() || started.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d handlers started, %d stopped, of %d calls cancelled at once", started.Load(), stopped.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
