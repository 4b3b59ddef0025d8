package faults_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Faults of server streaming (PROTOCOL.md §8): the reply stream broken in
// the room, and either side removed mid-stream. Every streaming call must
// end exactly once for the caller, and the handler must stop.

// streamRun reads a streaming call to its end in its own goroutine.
type streamRun struct {
	start       time.Time
	messages    atomic.Int32
	completions atomic.Int32
	done        chan error
}

func (v *env) startStream(m member, c transport.StreamCall) *streamRun {
	v.t.Helper()
	r := &streamRun{start: time.Now(), done: make(chan error, 1)}
	rs, err := m.CallStream(context.Background(), c)
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() {
		_ = rs.Close()
		if n := r.completions.Load(); n != 1 {
			v.t.Errorf("streaming call %s ended %d times, want exactly once", c.Method, n)
		}
	})
	go func() {
		for {
			if _, err := rs.Recv(); err != nil {
				r.completions.Add(1)
				r.done <- err
				return
			}
			r.messages.Add(1)
		}
	}()
	return r
}

// wantCode checks the end of the call: code, within bound.
func (r *streamRun) wantCode(t *testing.T, code int, bound time.Duration) *rpcerr.Error {
	t.Helper()
	select {
	case err := <-r.done:
		e, ok := rpcerr.From(err)
		if !ok || e.Code != code {
			t.Fatalf("streaming call ended with %v after %d messages, want code %d", err, r.messages.Load(), code)
		}
		if took := time.Since(r.start); took > bound {
			t.Errorf("ended after %v, bound %v", took, bound)
		}
		t.Logf("ended with %d %q data %q after %v and %d messages", e.Code, e.Message, e.Data, time.Since(r.start), r.messages.Load())
		return e
	case <-time.After(bound + timerSlack):
		t.Fatalf("streaming call did not end within %v", bound+timerSlack)
		return nil
	}
}

// ticker streams a message every 5 ms until it is stopped, and records
// when it stopped.
type ticker struct{ stopped chan struct{} }

func newTicker() *ticker { return &ticker{stopped: make(chan struct{})} }

func (k *ticker) serve(ctx context.Context, _ *transport.Request, send func(string) error) error {
	defer close(k.stopped)
	for i := 0; ; i++ {
		if err := send(fmt.Sprintf("%d:%s", i, strings.Repeat("t", 1500))); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (k *ticker) wantStopped(t *testing.T, bound time.Duration) {
	t.Helper()
	select {
	case <-k.stopped:
	case <-time.After(bound):
		t.Fatalf("the handler did not stop within %v", bound)
	}
}

func serveStream(t *testing.T, m member, method string, h transport.StreamHandler) {
	t.Helper()
	unregister, err := m.RegisterStream(method, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
}

func TestStreamReplyCutMidStream(t *testing.T) {
	v := newEnv(t)
	v.room.SetFault(cutTopic(engine.TopicStreamReply, 5))
	alice, bob := v.join("alice", plain()), v.join("bob", plain())
	k := newTicker()
	serveStream(t, bob, "tick", k.serve)
	r := v.startStream(alice, transport.StreamCall{Destination: "bob", Method: "tick", Idle: 300 * time.Millisecond})
	r.wantCode(t, rpcerr.ResponseTimeout, 300*time.Millisecond+promptBound)
	v.room.SetFault(nil)
	k.wantStopped(t, promptBound) // the caller's cancel reaches it
}

func TestStreamReplyChunkLost(t *testing.T) {
	v := newEnv(t)
	drop := chunkOf(engine.TopicStreamReply, 3)
	v.room.SetFault(memroom.DropWhere(drop))
	alice, bob := v.join("alice", plain()), v.join("bob", plain())
	k := newTicker()
	serveStream(t, bob, "tick", k.serve)
	r := v.startStream(alice, transport.StreamCall{Destination: "bob", Method: "tick"})
	if e := r.wantCode(t, rpcerr.ApplicationError, promptBound); !strings.Contains(e.Data, "chunk 4, expected 3") {
		t.Errorf("data %q does not name the gap", e.Data)
	}
	k.wantStopped(t, promptBound)
}

func TestStreamHandlerRemovedMidStream(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", plain()), v.join("bob", plain())
	k := newTicker()
	serveStream(t, bob, "tick", k.serve)
	mid := v.reached(chunkOf(engine.TopicStreamReply, 3))
	r := v.startStream(alice, transport.StreamCall{Destination: "bob", Method: "tick"})
	waitFor(t, mid, "the reply's chunk 3")
	v.room.Remove("bob", errLeft)
	r.wantCode(t, rpcerr.RecipientDisconnected, promptBound)
	k.wantStopped(t, promptBound) // its own link is gone: its engine cancels it
}

func TestStreamCallerRemovedMidStream(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", plain()), v.join("bob", plain())
	k := newTicker()
	serveStream(t, bob, "tick", k.serve)
	mid := v.reached(chunkOf(engine.TopicStreamReply, 3))
	r := v.startStream(alice, transport.StreamCall{Destination: "bob", Method: "tick"})
	waitFor(t, mid, "the reply's chunk 3")
	v.room.Remove("alice", errLeft)
	r.wantCode(t, rpcerr.RecipientDisconnected, promptBound) // alice's own link is lost
	k.wantStopped(t, promptBound)
}

func TestStreamHandlerPanicsMidStream(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", plain()), v.join("bob", plain())
	serveStream(t, bob, "panics", func(_ context.Context, _ *transport.Request, send func(string) error) error {
		_ = send("before")
		panic("boom")
	})
	rs, err := alice.CallStream(context.Background(), transport.StreamCall{Destination: "bob", Method: "panics"})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if p, err := rs.Recv(); p != "before" || err != nil {
		t.Fatalf("first: %q, %v", p, err)
	}
	_, err = rs.Recv()
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.ApplicationError || strings.Contains(e.Error(), "boom") {
		t.Fatalf("after the panic: %v, want 1500 without the panic's text", err)
	}
	if _, err := rs.Recv(); errors.Is(err, io.EOF) {
		t.Fatal("the error turned into a success on a later Recv")
	}
}
