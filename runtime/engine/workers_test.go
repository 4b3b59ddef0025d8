package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

func newWorkerEngine(t *testing.T) *Engine {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	l, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(l)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Slow handlers occupying every worker, and more, hold up no other
// request: it gets a goroutine of its own at once.
func TestSlowHandlersDoNotDelayAnother(t *testing.T) {
	e := newWorkerEngine(t)
	defer e.Close()
	release := make(chan struct{})
	defer close(release)
	for i := range maxWorkers + 5 {
		e.goServe(fmt.Sprint("slow-", i), func(context.Context, bool) { <-release })
	}
	e.mu.Lock()
	workers := e.workers
	e.mu.Unlock()
	if workers != maxWorkers {
		t.Fatalf("%d workers started, want %d", workers, maxWorkers)
	}
	served := make(chan struct{})
	e.goServe("fast", func(context.Context, bool) { close(served) })
	select {
	case <-served:
	case <-time.After(2 * time.Second):
		t.Fatal("a request waited behind slow handlers")
	}
}

// A worker serves the next request once it is done with one: sequential
// requests do not start a goroutine each.
func TestWorkersAreReused(t *testing.T) {
	e := newWorkerEngine(t)
	defer e.Close()
	const requests = 20
	for range requests {
		served := make(chan struct{})
		e.goServe("alice", func(context.Context, bool) { close(served) })
		<-served
		settledCallers(t, e)
		// Time for the worker to be back waiting, even on a loaded machine.
		time.Sleep(5 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.workers > 3 {
		t.Fatalf("%d workers for %d sequential requests, want 1 (at most 3 on a loaded machine)", e.workers, requests)
	}
}

// The workers exit when the engine closes, and when its link is lost.
func TestWorkersExitWithTheEngine(t *testing.T) {
	for _, end := range []string{"close", "link lost"} {
		t.Run(end, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			e := newWorkerEngine(t)
			for i := range 10 {
				e.goServe(fmt.Sprint("caller-", i), func(context.Context, bool) {})
			}
			settledCallers(t, e)
			if end == "close" {
				_ = e.Close()
			} else {
				// Only the engine's life ends: its workers go without Close.
				(*receiver)(e).Disconnected(nil)
				e.wg.Wait()
			}
			leakcheck.Verify(t, 5*time.Second, before,
				goleak.IgnoreTopFunction("github.com/lkrpc/lkrpc/runtime/link/memroom.(*Link).deliverLoop"))
			_ = e.Close()
		})
	}
}
