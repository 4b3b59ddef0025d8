// Package recovery tests the participant link's recovery (runtime/link/rtc,
// recovery.go) against a real livekit-server whose process or network is
// broken on purpose: the server killed and started again on the same port,
// and UDP dropped inside the namespace while TCP (signalling) lives. Each
// test breaks the whole namespace, so they run one after the other, in a
// package (and so a namespace and a server) of their own.
package recovery

import (
	"context"
	"os"
	"strings"
	"sync"
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

func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}

const (
	echo = "echo"
	// hold makes the handler wait until its call is cancelled: a call in
	// flight when the fault comes.
	hold = "hold"
)

// member is one participant: its link, the engine on it (registered once,
// at the start) and what its link reported.
type member struct {
	identity string
	link     *rtc.Link
	engine   *engine.Engine
	served   atomic.Int32 // echo handler runs
	states   chan stateAt
}

type stateAt struct {
	rtc.StateChange
	at time.Time
}

func join(t *testing.T, srv *lkserver.Server, room, identity string) *member {
	t.Helper()
	m := &member{identity: identity, states: make(chan stateAt, 64)}
	m.link = srv.ConnectLink(t, room, identity, rtc.WithStateHandler(func(c rtc.StateChange) {
		t.Logf("%s: %v (rejoin %v, attempts %d, after %v): %v", identity, c.State, c.Rejoin, c.Attempts, c.Elapsed.Round(time.Millisecond), c.Err)
		m.states <- stateAt{c, time.Now()}
	}))
	e, err := engine.New(m.link, engine.WithDefaultTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	m.engine = e
	t.Cleanup(func() { _ = e.Close() })
	if _, err := e.Register(echo, func(ctx context.Context, r *transport.Request) (string, error) {
		if r.Payload == hold {
			<-ctx.Done()
			return "", ctx.Err()
		}
		m.served.Add(1)
		return r.Payload, nil
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// reconnected waits for m's link to report StateReconnected and returns when.
func (m *member) reconnected(t *testing.T, within time.Duration) (rtc.StateChange, time.Time) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case c := <-m.states:
			switch c.State {
			case rtc.StateReconnected:
				return c.StateChange, c.at
			case rtc.StateGaveUp:
				t.Fatalf("%s gave up: %v", m.identity, c.Err)
			}
		case <-deadline:
			t.Fatalf("%s not reconnected within %v", m.identity, within)
		}
	}
}

// call calls to's echo from from and checks the echo.
func call(t *testing.T, from, to *member, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := to.served.Load()
	reply, err := from.engine.Call(ctx, transport.Call{Destination: to.identity, Method: echo, Payload: payload})
	if err != nil {
		t.Fatalf("%s → %s: %v", from.identity, to.identity, err)
	}
	if reply.Payload != payload {
		t.Fatalf("%s → %s: echo of %d bytes came back as %d bytes", from.identity, to.identity, len(payload), len(reply.Payload))
	}
	if to.served.Load() != before+1 {
		t.Fatalf("%s's registration served %d calls, want %d", to.identity, to.served.Load(), before+1)
	}
}

// inFlight is a call started before the fault.
type inFlight struct {
	ends atomic.Int32
	done chan error
}

func startHeld(from, to *member) *inFlight {
	f := &inFlight{done: make(chan error, 2)}
	go func() {
		_, err := from.engine.Call(context.Background(), transport.Call{Destination: to.identity, Method: echo, Payload: hold})
		f.ends.Add(1)
		f.done <- err
	}()
	return f
}

// want1503 waits for the held call to end with 1503 within bound after at,
// and checks it ended once.
func (f *inFlight) want1503(t *testing.T, at time.Time, bound time.Duration) {
	t.Helper()
	select {
	case err := <-f.done:
		if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.RecipientDisconnected {
			t.Fatalf("the call in flight ended with %v, want 1503", err)
		}
		t.Logf("the call in flight ended with 1503 %v after the fault: %v", time.Since(at).Round(time.Millisecond), err)
	case <-time.After(time.Until(at.Add(bound))):
		t.Fatalf("the call in flight had not ended %v after the fault", bound)
	}
	time.Sleep(100 * time.Millisecond)
	if n := f.ends.Load(); n != 1 {
		t.Fatalf("the call in flight ended %d times", n)
	}
}

func waitHandlers(t *testing.T, ms ...*member) {
	t.Helper()
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				lkserver.WaitParticipant(t, a.link, b.identity)
			}
		}
	}
}

// serverWaiter is lkserver's process waiter, restarted by the tests.
var serverWaiter = goleak.IgnoreAnyFunction(lkserver.ProcessWaiter)

func leakCheck(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		took := leakcheck.Verify(t, 10*time.Second, before, serverWaiter)
		t.Logf("goroutines started by the test ended %v after the cleanup", took.Round(time.Millisecond))
	})
}

// Bounds. The kill is noticed at once (the WebSockets drop); the links try
// to resume for about 3.4 s (resumeBackoff) before they drop their sessions
// and report everyone Left, which fails the call in flight. Once the server
// is back, a rejoin attempt comes within the backoff's 4 s.
const (
	inFlightBound   = 8 * time.Second
	afterRestartMax = 10 * time.Second
)

// livekit-server is killed (SIGKILL, as a crash) and started again on the
// same port: both Go links rejoin by themselves, the call in flight at the
// kill ends once with 1503, and the next calls both ways are served by the
// registrations made before the kill.
func TestServerRestartedLinksRejoin(t *testing.T) {
	srv := lkserver.Require(t)
	leakCheck(t)
	room := lkserver.RoomName(t)
	alice, bob := join(t, srv, room, "alice"), join(t, srv, room, "bob")
	browser := startBrowser(t, srv, room, "browser")
	waitHandlers(t, alice, bob)
	browser.mustCall(t, bob, "before")
	call(t, alice, bob, "before")
	held := startHeld(alice, bob)
	time.Sleep(200 * time.Millisecond) // the request reaches bob

	killed := time.Now()
	srv.Kill()
	held.want1503(t, killed, inFlightBound)
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	up := time.Now()
	t.Logf("server back %v after the kill", up.Sub(killed).Round(time.Millisecond))
	for _, m := range []*member{alice, bob} {
		c, at := m.reconnected(t, afterRestartMax)
		if !c.Rejoin {
			t.Fatalf("%s reconnected without a rejoin after a restart: %+v", m.identity, c)
		}
		t.Logf("RECOVERY server-restart %s: %v after the server was back, %v after the kill",
			m.identity, at.Sub(up).Round(time.Millisecond), at.Sub(killed).Round(time.Millisecond))
	}
	waitHandlers(t, alice, bob)
	call(t, alice, bob, "after the restart")
	call(t, bob, alice, "and back")
	t.Logf("RECOVERY server-restart first call served %v after the server was back", time.Since(up).Round(time.Millisecond))
	// livekit-client reconnects by itself too; its next call is served by
	// bob's registration from before the kill.
	browser.mustCall(t, bob, "from the browser after the restart")
	t.Logf("RECOVERY server-restart browser's call served %v after the server was back", time.Since(up).Round(time.Millisecond))
}

// UDP is dropped in the namespace for cutFor while the signal connections
// (TCP) live: ICE fails on both sides (pion after 15 s with server-sdk-go's
// timeouts; the server then asks for a resume), and the links get back
// once UDP flows again, by an ICE restart or a rejoin depending on how long
// the cut lasted; the next calls are served by the same registrations.
func TestUDPCutLinksRecover(t *testing.T) {
	srv := lkserver.Require(t)
	leakCheck(t)
	room := lkserver.RoomName(t)
	alice, bob := join(t, srv, room, "alice"), join(t, srv, room, "bob")
	waitHandlers(t, alice, bob)
	call(t, alice, bob, "before")
	// Let the last SACKs through (SCTP delays them up to 200 ms): data
	// unacknowledged at the cut is retransmitted on SCTP's backed-off timer
	// (up to pion's 60 s RTO), after ICE is back; see FAULTS.md.
	time.Sleep(time.Second)

	cut := time.Now()
	if err := lkserver.CutUDP(); err != nil {
		t.Skipf("cannot cut UDP here: %v", err)
	}
	var restoreOnce sync.Once
	restore := func() {
		restoreOnce.Do(func() {
			if err := lkserver.RestoreUDP(); err != nil {
				t.Errorf("restore UDP: %v", err)
			}
		})
	}
	t.Cleanup(restore)
	// Both sides must notice: wait for each link to start reconnecting.
	for _, m := range []*member{alice, bob} {
		select {
		case c := <-m.states:
			if c.State != rtc.StateReconnecting {
				t.Fatalf("%s: %v, want reconnecting", m.identity, c.State)
			}
			t.Logf("RECOVERY udp-cut %s noticed %v after the cut: %v", m.identity, c.at.Sub(cut).Round(time.Millisecond), c.Err)
		case <-time.After(40 * time.Second):
			t.Fatalf("%s noticed nothing 40 s after the cut", m.identity)
		}
	}
	restore()
	restored := time.Now()
	t.Logf("UDP restored %v after the cut", restored.Sub(cut).Round(time.Millisecond))
	for _, m := range []*member{alice, bob} {
		c, at := m.reconnected(t, 40*time.Second)
		t.Logf("RECOVERY udp-cut %s: %v after UDP was restored (rejoin %v, attempts %d)",
			m.identity, at.Sub(restored).Round(time.Millisecond), c.Rejoin, c.Attempts)
	}
	waitHandlers(t, alice, bob)
	probe(t, alice, bob)
	probe(t, bob, alice)
	call(t, alice, bob, strings.Repeat("after the cut ", 8<<10))
	call(t, bob, alice, "and back")
	t.Logf("RECOVERY udp-cut first call served %v after UDP was restored", time.Since(restored).Round(time.Millisecond))
}
