package faults_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Timing of the matrix. The engines run with short timers so the suite stays
// fast; bounds are generous because the machine may be loaded.
const (
	ackTimeout = 200 * time.Millisecond
	// callTimeout is the response timeout of calls that are expected to
	// end for another reason first.
	callTimeout = 5 * time.Second
	// promptBound bounds failures that need no timer: the fault is seen
	// and the call ends as soon as the packets are delivered.
	promptBound = time.Second
	// timerSlack is what a timer-driven failure may take past its timer.
	timerSlack = time.Second
	// leakWait bounds how long goroutines may take to unwind after a test.
	leakWait = 2 * time.Second
	// chunkBytes makes multi-chunk streams out of small payloads.
	chunkBytes = 1000
)

// env is one test's room, engines and calls. Its cleanup closes everything,
// checks that every call it started returned exactly once, and that no
// goroutine started during the test is still running (goleak).
type env struct {
	t    *testing.T
	room *memroom.Room
	runs []*callRun
}

func newEnv(t *testing.T, opts ...memroom.Option) *env {
	t.Helper()
	before := goleak.IgnoreCurrent()
	room, err := memroom.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	v := &env{t: t, room: room}
	// Registered first, so it runs last: after every engine and the room
	// have been closed by the cleanups registered later.
	t.Cleanup(func() {
		v.room.Close()
		for _, r := range v.runs {
			if n := r.completions.Load(); n != 1 {
				t.Errorf("call %s ended %d times, want exactly once", r.call.Method, n)
			}
		}
		leakcheck.Verify(t, leakWait, before)
	})
	return v
}

// member is a participant on a real engine.
type member struct {
	*engine.Engine
	link *memroom.Link
}

// join adds identity on an engine with the matrix's short timers; opts come
// after those, so a test can override them.
func (v *env) join(identity string, join []memroom.JoinOption, opts ...engine.Option) member {
	v.t.Helper()
	l, err := v.room.Join(identity, join...)
	if err != nil {
		v.t.Fatal(err)
	}
	opts = append([]engine.Option{engine.WithAckTimeout(ackTimeout), engine.WithChunkBytes(chunkBytes)}, opts...)
	e, err := engine.New(l, opts...)
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { e.Close() })
	return member{Engine: e, link: l}
}

// plain are join options for a peer that takes chunked, uncompressed
// streams only when they exceed one packet: client protocol 2 without
// deflate, so stream faults hit predictable chunk indices.
func plain() []memroom.JoinOption { return []memroom.JoinOption{memroom.WithCapabilities()} }

// serve registers h on m under method.
func serve(t *testing.T, m member, method string, h transport.Handler) {
	t.Helper()
	unregister, err := m.Register(method, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
}

// echo answers with the request payload.
func echo(_ context.Context, r *transport.Request) (string, error) { return r.Payload, nil }

// callRun is one call in flight.
type callRun struct {
	call        transport.Call
	start       time.Time
	done        chan callResult
	completions atomic.Int32
}

type callResult struct {
	reply   transport.Reply
	err     error
	elapsed time.Duration
}

// start makes c from m in its own goroutine.
func (v *env) start(m member, c transport.Call) *callRun {
	if c.Timeout == 0 {
		c.Timeout = callTimeout
	}
	r := &callRun{call: c, start: time.Now(), done: make(chan callResult, 1)}
	v.runs = append(v.runs, r)
	go func() {
		reply, err := m.Call(context.Background(), c)
		r.completions.Add(1)
		r.done <- callResult{reply: reply, err: err, elapsed: time.Since(r.start)}
	}()
	return r
}

// wait returns the call's outcome, failing the test when it takes more than
// bound.
func (r *callRun) wait(t *testing.T, bound time.Duration) callResult {
	t.Helper()
	select {
	case res := <-r.done:
		if res.elapsed > bound {
			t.Errorf("call ended after %v, bound %v", res.elapsed, bound)
		}
		return res
	case <-time.After(bound + timerSlack):
		t.Fatalf("call %s did not end within %v", r.call.Method, bound+timerSlack)
		return callResult{}
	}
}

// wantCode checks that the call failed with code no sooner than atLeast and
// within bound, and returns the error.
func (r *callRun) wantCode(t *testing.T, code int, atLeast, bound time.Duration) *rpcerr.Error {
	t.Helper()
	return r.wantCodeIn(t, []int{code}, atLeast, bound)
}

// wantCodeIn is wantCode for a fault whose code depends on which of two
// simultaneous events the engine learns of first.
func (r *callRun) wantCodeIn(t *testing.T, codes []int, atLeast, bound time.Duration) *rpcerr.Error {
	t.Helper()
	res := r.wait(t, bound)
	if res.elapsed < atLeast {
		t.Errorf("call ended after %v, before its timer (%v)", res.elapsed, atLeast)
	}
	e, ok := rpcerr.From(res.err)
	if !ok {
		t.Fatalf("call ended with %v (reply %q), want code %v", res.err, res.reply.Payload, codes)
	}
	if !slices.Contains(codes, e.Code) {
		t.Fatalf("call ended with code %d (%q, data %q), want %v", e.Code, e.Message, e.Data, codes)
	}
	t.Logf("ended with %d %q data %q after %v", e.Code, e.Message, e.Data, res.elapsed)
	return e
}

// wantReply checks that the call succeeded with payload within bound.
func (r *callRun) wantReply(t *testing.T, payload string, bound time.Duration) transport.Reply {
	t.Helper()
	res := r.wait(t, bound)
	if res.err != nil {
		t.Fatalf("call failed after %v: %v", res.elapsed, res.err)
	}
	if res.reply.Payload != payload {
		t.Fatalf("reply of %d bytes, want %d bytes", len(res.reply.Payload), len(payload))
	}
	t.Logf("replied after %v", res.elapsed)
	return res.reply
}

// Packet predicates for fault functions.

func isStreamOf(topic string) func(memroom.Delivery) bool {
	streams := map[string]bool{} // stream ids of topic seen so far; the room calls faults one at a time
	return func(d memroom.Delivery) bool {
		switch v := d.Packet.Value.(type) {
		case *livekit.DataPacket_StreamHeader:
			if v.StreamHeader.GetTopic() == topic {
				streams[v.StreamHeader.GetStreamId()] = true
				return true
			}
		case *livekit.DataPacket_StreamChunk:
			return streams[v.StreamChunk.GetStreamId()]
		case *livekit.DataPacket_StreamTrailer:
			return streams[v.StreamTrailer.GetStreamId()]
		}
		return false
	}
}

// chunkOf matches chunk index of any stream of topic.
func chunkOf(topic string, index uint64) func(memroom.Delivery) bool {
	of := isStreamOf(topic)
	return func(d memroom.Delivery) bool {
		if !of(d) {
			return false
		}
		c, ok := d.Packet.Value.(*livekit.DataPacket_StreamChunk)
		return ok && c.StreamChunk.GetChunkIndex() == index
	}
}

// errLeft is the reason a removed participant's link reports.
var errLeft = errors.New("removed by the fault matrix")
