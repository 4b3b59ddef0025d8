package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// callerStates returns how many callers bob's engine keeps and how many of
// them are idle, once nothing is running.
func settledCallers(t *testing.T, e *Engine) (n, idle int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.mu.Lock()
		running := 0
		for _, st := range e.callers {
			running += st.running
		}
		n, idle = len(e.callers), e.idle
		e.mu.Unlock()
		if running == 0 {
			return n, idle
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still running", running)
		}
		time.Sleep(time.Millisecond)
	}
}

// A caller's state outlives its last request, for its next one, and goes
// (its context cancelled) when the caller leaves.
func TestCallerStateKeptUntilTheCallerLeaves(t *testing.T) {
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	defer room.Close()
	aliceLink, _ := room.Join("alice")
	bobLink, _ := room.Join("bob")
	alice, _ := New(aliceLink)
	defer alice.Close()
	bob, _ := New(bobLink)
	defer bob.Close()
	ctxs := make(chan context.Context, 3)
	if _, err := bob.Register("m", func(ctx context.Context, _ *transport.Request) (string, error) {
		ctxs <- ctx
		return "ok", nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "m", Payload: "{}"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if n, idle := settledCallers(t, bob); n != 1 || idle != 1 {
			t.Fatalf("after call %d: %d callers, %d idle; want the caller kept, idle", i, n, idle)
		}
	}
	bob.mu.Lock()
	callerCtx := bob.callers["alice"].ctx
	bob.mu.Unlock()
	if callerCtx.Err() != nil {
		t.Fatal("an idle caller's context is cancelled")
	}
	if err := aliceLink.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-callerCtx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the caller left and its context was not cancelled")
	}
	if n, idle := settledCallers(t, bob); n != 0 || idle != 0 {
		t.Fatalf("after the caller left: %d callers, %d idle", n, idle)
	}
	for range 3 {
		if (<-ctxs).Err() == nil {
			t.Fatal("a handler's context outlived the caller")
		}
	}
}

// At most maxIdleCallers idle callers are kept, whoever calls.
func TestIdleCallersAreBounded(t *testing.T) {
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	defer room.Close()
	l, _ := room.Join("bob")
	e, _ := New(l)
	defer e.Close()
	for i := range maxIdleCallers + 50 {
		if !e.goServe(fmt.Sprint("caller-", i), func(context.Context, bool) {}) {
			t.Fatal("goServe refused")
		}
	}
	if n, idle := settledCallers(t, e); n != maxIdleCallers || idle != maxIdleCallers {
		t.Fatalf("%d callers kept, %d idle; want %d", n, idle, maxIdleCallers)
	}
}
