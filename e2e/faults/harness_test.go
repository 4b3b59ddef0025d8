package faults

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const (
	// callTimeout is the response timeout of every call here: far longer
	// than any case, so only the fault can end a call.
	callTimeout = time.Minute
	// leaveBound bounds how long after a participant starts leaving the
	// others' engines act on it. The server does not tell the room at
	// once: it batches updates about participants that publish no tracks
	// (0.05–3 s measured).
	leaveBound = 5 * time.Second
	// promptBound bounds what a participant's own engine does when its own
	// link goes: nothing needs to cross the network.
	promptBound = time.Second
	// leakWait is how long pion's goroutines may take to wind down after
	// the links' Done channels close; they run on timers of their own.
	leakWait = 10 * time.Second
	// bigBytes is the size of the payloads that are cut mid-stream: about
	// 280 chunks, 1–3 s for an echo through the SFU under -race.
	bigBytes = 4 << 20
	// echo is the method every handler here serves.
	echo = "faults.v1.Faults/Echo"
)

// env is one test's room: its participants and the calls it started. Its
// cleanup, which runs after every engine and link has closed, checks that
// each call returned exactly once and that no goroutine is left.
type env struct {
	t     *testing.T
	srv   *lkserver.Server
	room  string
	calls []*callRun
}

// serverWaiter ignores the goroutine that waits for the livekit-server
// process: the server belongs to the package, not to a test, and a test
// that kills it restarts it for the tests after it (TestSFUServerKilledMidCall),
// which starts a new waiter that rightly outlives the test. Named by
// function, so that a change in lkserver makes the check fail loudly rather
// than ignore something else.
var serverWaiter = goleak.IgnoreAnyFunction(lkserver.ProcessWaiter)

func newEnv(t *testing.T) *env {
	srv := lkserver.Require(t)
	before := goleak.IgnoreCurrent()
	v := &env{t: t, srv: srv, room: lkserver.RoomName(t)}
	// Registered first, so it runs last.
	t.Cleanup(func() {
		for _, r := range v.calls {
			if n := r.ends.Load(); n != 1 {
				t.Errorf("call to %s returned %d times, want exactly once", r.call.Destination, n)
			}
		}
		took := leakcheck.Verify(t, leakWait, before, serverWaiter)
		t.Logf("goroutines started by the test ended %v after the cleanup", took.Round(time.Millisecond))
	})
	return v
}

// member is one participant: its link, the tap around it and the engine on
// the tap.
type member struct {
	identity string
	link     *rtc.Link
	tap      *tap
	engine   *engine.Engine
	ran      atomic.Int32 // handler runs
}

// join connects identity straight to the server.
func (v *env) join(identity string, opts ...engine.Option) *member {
	return v.member(identity, v.srv.ConnectLink(v.t, v.room, identity), opts...)
}

// member puts an engine on l, which closes before the link does.
func (v *env) member(identity string, l *rtc.Link, opts ...engine.Option) *member {
	m := &member{identity: identity, link: l, tap: newTap(l)}
	e, err := engine.New(m.tap, append([]engine.Option{engine.WithDefaultTimeout(callTimeout)}, opts...)...)
	if err != nil {
		v.t.Fatal(err)
	}
	m.engine = e
	v.t.Cleanup(func() { closeWithin(v.t, m.engine, promptBound) })
	return m
}

// serve registers the echo method on m, answering reply(request) and
// counting its runs.
func (m *member) serve(t *testing.T, reply func(string) string) {
	t.Helper()
	_, err := m.engine.Register(echo, func(_ context.Context, r *transport.Request) (string, error) {
		m.ran.Add(1)
		return reply(r.Payload), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serveUntilCancelled registers an echo on m that answers nothing: it
// waits until its call is cancelled and reports when.
func (m *member) serveUntilCancelled(t *testing.T) <-chan time.Time {
	t.Helper()
	cancelled := make(chan time.Time, 1)
	_, err := m.engine.Register(echo, func(ctx context.Context, _ *transport.Request) (string, error) {
		m.ran.Add(1)
		<-ctx.Done()
		cancelled <- time.Now()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return cancelled
}

func (m *member) wantRuns(t *testing.T, n int32) {
	t.Helper()
	if got := m.ran.Load(); got != n {
		t.Errorf("%s's handler ran %d times, want %d", m.identity, got, n)
	}
}

// waitRuns waits until m's handler has started n times.
func waitRuns(t *testing.T, m *member, n int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for m.ran.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s's handler started %d times in 10 s, want %d", m.identity, m.ran.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// meet waits until every member sees every other.
func meet(t *testing.T, ms ...*member) {
	t.Helper()
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				lkserver.WaitParticipant(t, a.link, b.identity)
			}
		}
	}
}

// callRun is a call running in the background.
type callRun struct {
	call  transport.Call
	start time.Time
	ends  atomic.Int32
	done  chan callResult
}

type callResult struct {
	reply transport.Reply
	err   error
	at    time.Time
}

// start makes from call to's echo with payload.
func (v *env) start(from, to *member, payload string) *callRun {
	r := &callRun{
		call:  transport.Call{Destination: to.identity, Method: echo, Payload: payload, Timeout: callTimeout},
		start: time.Now(),
		done:  make(chan callResult, 2),
	}
	v.calls = append(v.calls, r)
	go func() {
		reply, err := from.engine.Call(context.Background(), r.call)
		r.ends.Add(1)
		r.done <- callResult{reply: reply, err: err, at: time.Now()}
	}()
	return r
}

// result waits for the call until bound after since and fails the test if
// it has not returned by then.
func (r *callRun) result(t *testing.T, since time.Time, bound time.Duration) callResult {
	t.Helper()
	select {
	case res := <-r.done:
		t.Logf("the call returned %v after the fault (%v after it started): %v",
			res.at.Sub(since).Round(time.Millisecond), res.at.Sub(r.start).Round(time.Millisecond), res.err)
		return res
	case <-time.After(time.Until(since.Add(bound))):
		t.Fatalf("the call had not returned %v after the fault", bound)
		return callResult{}
	}
}

// wantCode waits for the call to fail with code within bound after since.
func (r *callRun) wantCode(t *testing.T, code int, since time.Time, bound time.Duration) *rpcerr.Error {
	t.Helper()
	res := r.result(t, since, bound)
	e, ok := rpcerr.From(res.err)
	if !ok || e.Code != code {
		t.Fatalf("the call ended with %v, want code %d", res.err, code)
	}
	return e
}

// wantEcho waits for the call to succeed within bound after since with its
// own payload back.
func (r *callRun) wantEcho(t *testing.T, since time.Time, bound time.Duration) {
	t.Helper()
	res := r.result(t, since, bound)
	if res.err != nil {
		t.Fatalf("the call failed: %v", res.err)
	}
	if res.reply.Payload != r.call.Payload {
		t.Fatalf("the echo of %d bytes came back as %d different bytes", len(r.call.Payload), len(res.reply.Payload))
	}
}

// waitFor fails the test unless ch closes within bound.
func waitFor(t *testing.T, ch <-chan struct{}, bound time.Duration, what string) time.Time {
	t.Helper()
	select {
	case <-ch:
		return time.Now()
	case <-time.After(bound):
		t.Fatalf("%s did not happen within %v", what, bound)
		return time.Time{}
	}
}

// closeWithin closes e and fails the test if that takes longer than bound
// (something the engine started is stuck).
func closeWithin(t *testing.T, e *engine.Engine, bound time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		_ = e.Close()
		close(done)
	}()
	waitFor(t, done, bound, "engine close")
}

// leave closes m's link as a participant leaving the room does (a Leave to
// the server) and returns when it started.
func leave(t *testing.T, m *member) time.Time {
	t.Helper()
	at := time.Now()
	if err := m.link.Close(); err != nil {
		t.Fatalf("%s leaving: %v", m.identity, err)
	}
	t.Logf("%s left in %v", m.identity, time.Since(at).Round(time.Millisecond))
	return at
}
