package faults

import (
	"errors"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

const (
	// resumeBound bounds a resume after a signal drop: the first attempt
	// starts at once (6–23 ms measured on this machine).
	resumeBound = 2 * time.Second
	// streamBound bounds a 4 MiB echo through the SFU under -race.
	streamBound = 20 * time.Second
	// giveUpBound bounds how long a link whose signal connection cannot
	// come back takes to end: five attempts over about 3.4 s.
	giveUpBound = 6 * time.Second
	// serverDropsBound bounds how long the server keeps a participant that
	// vanished without a Leave (its signal connection gone, its peer
	// connection closed) before it tells the room: livekit-server's own
	// timeout, 27 s measured.
	serverDropsBound = 40 * time.Second
)

// The caller's signal connection is reset (no Leave) while its request
// stream is under way. The data channel does not depend on it, so the
// stream goes on; the link resumes the signal connection, and the call
// succeeds with the whole echo, once.
func TestSFUCallerSignalDropsMidCallAndResumes(t *testing.T) {
	signalDropsMidCall(t, "alice", engine.TopicRequest)
}

// The handler's signal connection is reset while its response stream is
// under way: the same, from the other side.
func TestSFUHandlerSignalDropsMidCallAndResumes(t *testing.T) {
	signalDropsMidCall(t, "bob", engine.TopicResponse)
}

// signalDropsMidCall has alice call bob's echo with a large payload and
// resets dropper's signal connection once the stream of topic is under way.
func signalDropsMidCall(t *testing.T, dropper, topic string) {
	v := newEnv(t)
	proxy := v.srv.SignalProxy(t)
	join := func(identity string) *member {
		if identity == dropper {
			return v.member(identity, proxy.ConnectLink(t, v.room, identity), uncompressed)
		}
		return v.join(identity, uncompressed)
	}
	alice, bob := join("alice"), join("bob")
	bob.serve(t, func(p string) string { return p })
	meet(t, alice, bob)

	receiver, dropped := bob, alice
	if topic == engine.TopicResponse {
		receiver = alice
	}
	if dropper == bob.identity {
		dropped = bob
	}
	under := receiver.tap.when(received(topic, 64<<10))
	r := v.start(alice, bob, randtext.New(bigBytes, 5))
	waitFor(t, under, streamBound, "the "+topic+" stream getting under way")
	at := time.Now()
	if n := proxy.Cut(); n != 1 {
		t.Fatalf("cut %d signal connections, want %s's one", n, dropper)
	}
	wantResumed(t, dropped.link, at)
	r.wantEcho(t, at, streamBound)
	bob.wantRuns(t, 1)
}

// The caller's signal connection is reset and the server cannot be reached
// again: the link gives up after its resume attempts and ends with
// ErrSignalLost, and the pending call fails with 1503 naming it, instead of
// waiting for its one-minute timeout. The handler's side learns it only
// when the server gives up on alice, and then cancels her running handler.
func TestSFUCallerSignalLostForGood(t *testing.T) {
	v := newEnv(t)
	proxy := v.srv.SignalProxy(t)
	// Rejoining off, or alice would join again through the proxy's refusal
	// for WithReconnect's 30 s before giving up.
	alice := v.member("alice", proxy.ConnectLink(t, v.room, "alice", rtc.WithReconnect(0)), uncompressed)
	bob := v.join("bob", uncompressed)
	cancelled := bob.serveUntilCancelled(t)
	meet(t, alice, bob)

	gone := bob.tap.when(departed("alice"))
	r := v.start(alice, bob, "x")
	waitRuns(t, bob, 1)
	proxy.Refuse(true)
	at := time.Now()
	proxy.Cut()
	e := r.wantCode(t, rpcerr.RecipientDisconnected, at, giveUpBound)
	if !errors.Is(alice.link.Err(), rtc.ErrSignalLost) {
		t.Errorf("alice's link ended with %v, want ErrSignalLost", alice.link.Err())
	}
	t.Logf("1503 message: %s", e.Message)
	heard := waitFor(t, gone, serverDropsBound, "bob hearing that alice is gone")
	select {
	case c := <-cancelled:
		t.Logf("bob heard alice was gone %v after the cut; her handler was cancelled %v after that",
			heard.Sub(at).Round(time.Millisecond), c.Sub(heard).Round(time.Millisecond))
	case <-time.After(promptBound):
		t.Fatalf("bob's handler for alice still running %v after bob heard she was gone", promptBound)
	}
}

// wantResumed checks that l resumed its signal connection once, within
// resumeBound of the drop.
func wantResumed(t *testing.T, l *rtc.Link, dropped time.Time) {
	t.Helper()
	for l.Resumes() == 0 {
		if time.Since(dropped) > resumeBound {
			t.Fatalf("no resume within %v of the drop (link: %v)", resumeBound, l.Err())
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("the signal connection resumed %v after the drop", time.Since(dropped).Round(time.Millisecond))
	if n := l.Resumes(); n != 1 {
		t.Fatalf("resumed %d times, want once", n)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("the link ended: %v", err)
	}
}
