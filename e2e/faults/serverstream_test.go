package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// tick is a streaming method that sends a 4 KiB message every 10 ms until
// its context ends.
const tick = "faults.v1.Faults/Tick"

// serveTicks registers tick on m; the channel gets when it stopped.
func (m *member) serveTicks(t *testing.T) <-chan time.Time {
	t.Helper()
	stopped := make(chan time.Time, 1)
	_, err := m.engine.RegisterStream(tick, func(ctx context.Context, _ *transport.Request, send func(string) error) error {
		defer func() { stopped <- time.Now() }()
		msg := strings.Repeat("t", 4<<10)
		for {
			if err := send(msg); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return stopped
}

// startTicks calls tick from alice and reads it in the background; the
// channel gets the call's end once.
func startTicks(t *testing.T, alice, bob *member) (first <-chan struct{}, end <-chan error) {
	t.Helper()
	rs, err := alice.engine.CallStream(context.Background(), transport.StreamCall{Destination: bob.identity, Method: tick})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	got, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for n := 0; ; n++ {
			if _, err := rs.Recv(); err != nil {
				done <- err
				return
			}
			if n == 5 {
				close(got)
			}
		}
	}()
	return got, done
}

// The handler leaves the room mid-stream: 1503 for the caller once the SFU
// reports it.
func TestSFUStreamHandlerLeavesMidStream(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice"), v.join("bob")
	bob.serveTicks(t)
	meet(t, alice, bob)
	flowing, end := startTicks(t, alice, bob)
	waitFor(t, flowing, promptBound*5, "five messages")
	at := leave(t, bob)
	select {
	case err := <-end:
		if rpcerr.Code(err) != rpcerr.RecipientDisconnected {
			t.Fatalf("the stream ended with %v, want 1503", err)
		}
		t.Logf("1503 %v after the handler's leave", time.Since(at).Round(time.Millisecond))
	case <-time.After(leaveBound):
		t.Fatalf("the stream did not end within %v of the handler's leave", leaveBound)
	}
}

// The caller leaves the room mid-stream: the handler's context ends once
// the SFU reports it, and it stops sending.
func TestSFUStreamCallerLeavesMidStream(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice"), v.join("bob")
	stopped := bob.serveTicks(t)
	meet(t, alice, bob)
	flowing, end := startTicks(t, alice, bob)
	waitFor(t, flowing, promptBound*5, "five messages")
	at := leave(t, alice)
	select {
	case err := <-end:
		if rpcerr.Code(err) != rpcerr.RecipientDisconnected {
			t.Fatalf("the caller's stream ended with %v, want 1503", err)
		}
	case <-time.After(promptBound):
		t.Fatalf("the caller's own stream did not end within %v of its leave", promptBound)
	}
	select {
	case s := <-stopped:
		t.Logf("the handler stopped %v after the caller's leave", s.Sub(at).Round(time.Millisecond))
	case <-time.After(leaveBound):
		t.Fatalf("the handler still streams %v after the caller left", leaveBound)
	}
}
