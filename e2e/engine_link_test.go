package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// greetMethod is the method name of the engine-to-engine tests.
const greetMethod = "example.v1.Greeter/SayHello"

// Two engines, each on its own participant link (client protocol 2 with
// deflate), through the real server: every transport the protocol has, and
// the one each size must take.
func TestEngineToEngineThroughServer(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	callerLink := srv.ConnectLink(t, room, "caller")
	handlerLink := srv.ConnectLink(t, room, "handler")
	caller, handler := newEngine(t, callerLink), newEngine(t, handlerLink)
	t.Cleanup(func() { _ = caller.Close(); _ = handler.Close() })

	arrived := make(chan transport.Transfer, 64)
	_, err := handler.Register(greetMethod, func(_ context.Context, req *transport.Request) (string, error) {
		arrived <- req.Transfer
		switch {
		case req.Payload == "fail":
			return "", &rpcerr.Error{Code: 2003, Message: "refused", Data: `{"detail":true}`}
		case strings.HasPrefix(req.Payload, "slow"):
			time.Sleep(2 * time.Second) // longer than the caller's timeout
		}
		return req.Payload, nil // echo: the response takes the same route back
	})
	if err != nil {
		t.Fatal(err)
	}
	lkserver.WaitParticipant(t, callerLink, "handler")
	lkserver.WaitParticipant(t, handlerLink, "caller")

	cases := []struct {
		name       string
		payload    string
		kind       transport.Form
		compressed bool
	}{
		// Below the compression minimum: v1 packets, but for the first
		// request, a single-packet stream (PROTOCOL.md §6).
		{"16B", randtext.New(16, 1), transport.FormPacket, false},
		// Random text deflates to ~75 %: 15 KiB fits one header packet then.
		{"15KiB", randtext.New(15<<10, 2), transport.FormInline, true},
		{"100KiB random", randtext.New(100<<10, 3), transport.FormStream, true},
		{"100KiB repetitive", strings.Repeat("a", 100<<10), transport.FormInline, true},
		{"1MiB", randtext.New(1<<20, 4), transport.FormStream, true},
	}
	ctx := context.Background()
	called := false // the first request goes as a stream whatever its size
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ts timings
			for range 5 {
				first := !called
				called = true
				start := time.Now()
				reply, err := caller.Call(ctx, transport.Call{Destination: "handler", Method: greetMethod, Payload: tc.payload, Timeout: 15 * time.Second})
				ts = append(ts, time.Since(start))
				if err != nil {
					t.Fatal(err)
				}
				if reply.Payload != tc.payload {
					t.Fatalf("echo of %d bytes came back as %d bytes", len(tc.payload), len(reply.Payload))
				}
				in := <-arrived
				t.Logf("request %v (%d packets, %d wire bytes), response %v", in, in.Packets, in.WireBytes, reply.Response)
				for j, tr := range []transport.Transfer{reply.Request, in, reply.Response} {
					want := tc.kind
					if first && j < 2 && tc.kind == transport.FormPacket {
						want = transport.FormInline // the first request introduces the caller
					}
					if tr.Form != want || tr.Compressed != tc.compressed {
						t.Fatalf("transfer %v, want %v compressed=%v", tr, want, tc.compressed)
					}
				}
			}
			ts.log(t, fmt.Sprintf("engine→engine round trip %s", tc.name))
		})
	}

	t.Run("application error with data", func(t *testing.T) {
		_, err := caller.Call(ctx, transport.Call{Destination: "handler", Method: greetMethod, Payload: "fail"})
		<-arrived
		e, ok := rpcerr.From(err)
		if !ok || e.Code != 2003 || e.Message != "refused" || e.Data != `{"detail":true}` {
			t.Fatalf("Call = %v, want 2003 with message and data", err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := caller.Call(ctx, transport.Call{Destination: "handler", Method: "no.such/Method", Payload: "x"})
		if rpcerr.Code(err) != rpcerr.UnsupportedMethod {
			t.Fatalf("Call = %v, want 1400", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		_, err := caller.Call(ctx, transport.Call{Destination: "handler", Method: greetMethod, Payload: "slow", Timeout: 500 * time.Millisecond})
		<-arrived
		if rpcerr.Code(err) != rpcerr.ResponseTimeout {
			t.Fatalf("Call = %v, want 1502", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("timeout took %v, want about 500 ms", d)
		}
	})
}

// When the handler's link goes away mid-call, the caller's call ends with
// an error instead of hanging; when the caller's own link is lost, its
// pending calls fail too.
func TestEngineCallsEndWhenLinksGo(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	callerLink := srv.ConnectLink(t, room, "caller")
	handlerLink := srv.ConnectLink(t, room, "handler")
	caller, handler := newEngine(t, callerLink), newEngine(t, handlerLink)
	t.Cleanup(func() { _ = caller.Close(); _ = handler.Close() })

	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	defer close(release)
	if _, err := handler.Register(greetMethod, func(ctx context.Context, _ *transport.Request) (string, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "late", nil
	}); err != nil {
		t.Fatal(err)
	}
	lkserver.WaitParticipant(t, callerLink, "handler")
	lkserver.WaitParticipant(t, handlerLink, "caller")

	done := make(chan error, 1)
	go func() {
		_, err := caller.Call(context.Background(), transport.Call{Destination: "handler", Method: greetMethod, Payload: "x", Timeout: 30 * time.Second})
		done <- err
	}()
	<-entered
	// The caller's own link is lost: the pending call must fail promptly.
	start := time.Now()
	_ = callerLink.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("call succeeded after the caller's link closed")
		}
		t.Logf("pending call ended after %v with %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second):
		t.Fatal("pending call still waiting 5 s after the caller's link closed")
	}
}
