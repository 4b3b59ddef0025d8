package faults_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// cutTopic drops every chunk from index after on, and the trailer, of the
// streams of topic: the receiver holds a stream that never ends.
func cutTopic(topic string, after uint64) memroom.FaultFunc {
	of := isStreamOf(topic)
	return memroom.DropWhere(func(d memroom.Delivery) bool {
		if !of(d) {
			return false
		}
		switch v := d.Packet.Value.(type) {
		case *livekit.DataPacket_StreamChunk:
			return v.StreamChunk.GetChunkIndex() >= after
		case *livekit.DataPacket_StreamTrailer:
			return true
		}
		return false
	})
}

// reached returns a channel closed once the room routes a packet matching
// match.
func (v *env) reached(match func(memroom.Delivery) bool) <-chan struct{} {
	ch := make(chan struct{})
	var once atomic.Bool
	stop := v.room.Observe(func(d memroom.Delivery) {
		if match(d) && once.CompareAndSwap(false, true) {
			close(ch)
		}
	})
	v.t.Cleanup(stop)
	return ch
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(promptBound):
		t.Fatalf("%s did not happen within %v", what, promptBound)
	}
}

// closeWithin closes e and fails the test if that takes longer than
// promptBound (something the engine started is stuck).
func closeWithin(t *testing.T, e *engine.Engine) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		e.Close()
		close(done)
	}()
	waitFor(t, done, "engine close")
}

// counter counts handler runs.
type counter struct{ n atomic.Int32 }

func (c *counter) wrap(h transport.Handler) transport.Handler {
	return func(ctx context.Context, r *transport.Request) (string, error) {
		c.n.Add(1)
		return h(ctx, r)
	}
}

func (c *counter) want(t *testing.T, n int32) {
	t.Helper()
	if got := c.n.Load(); got != n {
		t.Errorf("handler ran %d times, want %d", got, n)
	}
}

// reach waits until the handler has run n times, for packets still in
// flight when the call that sent them already ended.
func (c *counter) reach(t *testing.T, n int32, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for c.n.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("handler ran %d times within %v, want %d", c.n.Load(), bound, n)
		}
		time.Sleep(time.Millisecond)
	}
}

const cutAfter = 5 // chunks that get through before a stream is cut

// leaveMidStream makes alice call bob with the stream of topic cut after
// cutAfter chunks, removes who once the receiver holds those chunks, and
// returns the call.
func leaveMidStream(t *testing.T, topic, who string, ran *counter) (*env, member, member, *callRun) {
	v := newEnv(t)
	v.room.SetFault(cutTopic(topic, cutAfter))
	cut := v.reached(chunkOf(topic, cutAfter-1))
	bob := v.join("bob", plain())
	alice := v.join("alice", plain())
	big := randtext.New(50*chunkBytes, 1)
	serve(t, bob, "faults.Echo", ran.wrap(func(context.Context, *transport.Request) (string, error) { return big, nil }))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: big})
	waitFor(t, cut, "the stream reaching the cut")
	v.room.Remove(who, errLeft)
	return v, alice, bob, r
}

func TestCalleeLeavesDuringRequestUpload(t *testing.T) {
	var ran counter
	_, _, bob, r := leaveMidStream(t, engine.TopicRequest, "bob", &ran)
	r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	closeWithin(t, bob.Engine)
	ran.want(t, 0)
}

// The caller's own link is lost while it uploads: the call ends with 1503,
// once, at once, whether the engine hears of the loss first (Disconnected)
// or the upload's next send fails first (an error wrapping link.ErrClosed).
func TestCallerLeavesDuringRequestUpload(t *testing.T) {
	var ran counter
	_, _, bob, r := leaveMidStream(t, engine.TopicRequest, "alice", &ran)
	e := r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	if !strings.HasPrefix(e.Message, "link lost: ") {
		t.Errorf("message %q does not say the link was lost", e.Message)
	}
	closeWithin(t, bob.Engine) // the half-received request must not hold bob up
	ran.want(t, 0)
}

func TestCalleeLeavesDuringResponseDownload(t *testing.T) {
	var ran counter
	_, _, bob, r := leaveMidStream(t, engine.TopicResponse, "bob", &ran)
	r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	closeWithin(t, bob.Engine)
	ran.want(t, 1)
}

func TestCallerLeavesDuringResponseDownload(t *testing.T) {
	var ran counter
	_, _, bob, r := leaveMidStream(t, engine.TopicResponse, "alice", &ran)
	r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	closeWithin(t, bob.Engine) // bob's reply upload must stop
	ran.want(t, 1)
}

// blockUntilCancelled is a handler that reports that it runs, waits for its
// context and reports that it was cancelled.
func blockUntilCancelled(running, cancelled chan<- struct{}) transport.Handler {
	return func(ctx context.Context, _ *transport.Request) (string, error) {
		close(running)
		<-ctx.Done()
		close(cancelled)
		return "", ctx.Err()
	}
}

func TestLinkLostMidCall(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	running, cancelled := make(chan struct{}), make(chan struct{})
	serve(t, bob, "faults.Block", blockUntilCancelled(running, cancelled))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Block", Payload: "x"})
	waitFor(t, running, "the handler running")
	cause := errors.New("signal connection dropped")
	v.room.Remove("alice", cause)
	e := r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	if !strings.Contains(e.Message, cause.Error()) {
		t.Errorf("message %q does not name the cause", e.Message)
	}
	waitFor(t, cancelled, "the handler's context being cancelled") // the caller left bob's room
	// New calls on the lost link fail at once the same way.
	r2 := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Block", Payload: "x"})
	r2.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
}

func TestRoomClosedMidCall(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	running, cancelled := make(chan struct{}), make(chan struct{})
	serve(t, bob, "faults.Block", blockUntilCancelled(running, cancelled))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Block", Payload: "x"})
	waitFor(t, running, "the handler running")
	v.room.Close()
	r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	waitFor(t, cancelled, "the handler's context being cancelled")
}

func TestEngineClosedMidCall(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil)
	alice := v.join("alice", nil)
	running, cancelled := make(chan struct{}), make(chan struct{})
	serve(t, bob, "faults.Block", blockUntilCancelled(running, cancelled))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Block", Payload: "x"})
	waitFor(t, running, "the handler running")
	closeWithin(t, alice.Engine)
	e := r.wantCode(t, rpcerr.RecipientDisconnected, 0, promptBound)
	if e.Message != "engine closed" {
		t.Errorf("message %q", e.Message)
	}
	closeWithin(t, bob.Engine) // cancels the handler
	waitFor(t, cancelled, "the handler's context being cancelled")
}
