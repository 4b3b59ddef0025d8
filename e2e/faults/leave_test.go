package faults

import (
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// uncompressed keeps streams as large on the wire as their payloads, so a
// cut point in bytes is a cut point in the payload (and -race spends no
// seconds deflating).
var uncompressed = engine.WithCompressMin(1 << 30)

// The handler leaves the room while the caller is still uploading the
// request stream: the SFU tells the caller, whose call fails with 1503; the
// handler never runs. (The SFU takes longer to say so than the upload takes
// to finish, so that the upload stops is checked on the in-memory room.)
func TestSFUCalleeLeavesDuringRequestUpload(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", uncompressed), v.join("bob", uncompressed)
	bob.serve(t, func(string) string { return "ok" })
	meet(t, alice, bob)

	under := bob.tap.when(received(engine.TopicRequest, 64<<10))
	r := v.start(alice, bob, randtext.New(bigBytes, 1))
	waitFor(t, under, 10*time.Second, "the request stream reaching bob")
	at := leave(t, bob)
	r.wantCode(t, rpcerr.RecipientDisconnected, at, leaveBound)
	bob.wantRuns(t, 0)
}

// The caller leaves while its request stream is part way to the handler:
// its own call ends with 1503 at once; the handler never runs, and drops
// what it had buffered of the request. The drop is checked through the
// buffer limit: another caller's request is then sized to fit bob's limit
// only if alice's part is gone.
func TestSFUCallerLeavesDuringRequestUpload(t *testing.T) {
	v := newEnv(t)
	const limit = 8 << 20
	alice := v.join("alice", uncompressed)
	bob := v.join("bob", uncompressed, engine.WithInboundLimits(engine.InboundLimits{MaxBufferedBytes: limit}))
	carol := v.join("carol", uncompressed)
	bob.serve(t, func(string) string { return "ok" })
	meet(t, alice, bob, carol)

	under := bob.tap.when(received(engine.TopicRequest, 64<<10))
	gone := bob.tap.when(departed("alice"))
	r := v.start(alice, bob, randtext.New(bigBytes, 1))
	waitFor(t, under, 10*time.Second, "the request stream reaching bob")
	at := leave(t, alice)
	if e := r.wantCode(t, rpcerr.RecipientDisconnected, at, promptBound); !strings.HasPrefix(e.Message, "link ") {
		t.Errorf("message %q does not say the caller's own link went", e.Message)
	}
	heard := waitFor(t, gone, leaveBound, "bob hearing that alice left")
	held := bob.tap.bytesReceived(engine.TopicRequest)
	t.Logf("bob heard of it %v after alice started leaving, holding %d bytes of her request", heard.Sub(at).Round(time.Millisecond), held)
	bob.wantRuns(t, 0)

	// limit - held/4 fits on its own, not beside what bob held of alice's.
	next := v.start(carol, bob, randtext.New(limit-int(held/4), 2))
	if res := next.result(t, time.Now(), 30*time.Second); res.err != nil {
		t.Fatalf("a request that fits only without alice's part: %v (was her part kept?)", res.err)
	}
	bob.wantRuns(t, 1)
}

// The handler leaves while its response stream is downloading: the caller
// hears it from the SFU and fails the call with 1503.
func TestSFUCalleeLeavesDuringResponseDownload(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", uncompressed), v.join("bob", uncompressed)
	big := randtext.New(bigBytes, 3)
	bob.serve(t, func(string) string { return big })
	meet(t, alice, bob)

	under := alice.tap.when(received(engine.TopicResponse, 64<<10))
	r := v.start(alice, bob, "x")
	waitFor(t, under, 10*time.Second, "the response stream reaching alice")
	at := leave(t, bob)
	r.wantCode(t, rpcerr.RecipientDisconnected, at, leaveBound)
	bob.wantRuns(t, 1)
}

// The caller leaves while the response is downloading: its call ends with
// 1503 at once; the handler hears of it from the SFU and is left holding
// nothing (its engine closes at once; no goroutine remains).
func TestSFUCallerLeavesDuringResponseDownload(t *testing.T) {
	v := newEnv(t)
	alice, bob := v.join("alice", uncompressed), v.join("bob", uncompressed)
	big := randtext.New(bigBytes, 4)
	bob.serve(t, func(string) string { return big })
	meet(t, alice, bob)

	under := alice.tap.when(received(engine.TopicResponse, 64<<10))
	gone := bob.tap.when(departed("alice"))
	r := v.start(alice, bob, "x")
	waitFor(t, under, 10*time.Second, "the response stream reaching alice")
	at := leave(t, alice)
	if e := r.wantCode(t, rpcerr.RecipientDisconnected, at, promptBound); !strings.HasPrefix(e.Message, "link ") {
		t.Errorf("message %q does not say the caller's own link went", e.Message)
	}
	heard := waitFor(t, gone, leaveBound, "bob hearing that alice left")
	t.Logf("bob heard of it %v after alice started leaving", heard.Sub(at).Round(time.Millisecond))
	bob.wantRuns(t, 1)
}
