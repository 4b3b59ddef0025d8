package serverloss

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/peer"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}

// silentHandler is a link receiver that answers nothing: it reports the
// requests it gets and how the link ended.
type silentHandler struct {
	requests chan struct{}
	err      chan error
}

// ReceivePacket reports the request: an RpcRequest packet, or the header
// of a request stream (what a caller sends to a client-protocol-2 peer).
func (h silentHandler) ReceivePacket(p *livekit.DataPacket) {
	if p.GetRpcRequest() != nil || p.GetStreamHeader().GetTopic() == engine.TopicRequest {
		select {
		case h.requests <- struct{}{}:
		default:
		}
	}
}
func (h silentHandler) ParticipantChanged(link.Event) {}
func (h silentHandler) Disconnected(err error)        { h.err <- err }

// The server dies while an engine call is pending: the links try to resume
// the signal connection (refused: nothing listens any more), then report the
// loss; the pending call fails with 1503 then instead of waiting for its
// one-minute timeout, and later sends fail with the same reason.
func TestServerCrashEndsLinksAndPendingCalls(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	callerLink := srv.ConnectLink(t, room, "caller")
	handlerLink := srv.ConnectLink(t, room, "handler")
	handlerEvents := silentHandler{requests: make(chan struct{}, 1), err: make(chan error, 1)}
	handlerLink.Attach(handlerEvents)
	caller := engine.New(callerLink)
	t.Cleanup(func() { _ = caller.Close() })
	lkserver.WaitParticipant(t, callerLink, "handler")

	// The handler link never answers (its receiver drops packets), so the
	// call stays pending until something ends it.
	done := make(chan error, 1)
	go func() {
		_, err := caller.Call(context.Background(), transport.Call{Destination: "handler", Method: "m", Payload: "x", Timeout: time.Minute})
		done <- err
	}()
	select {
	case <-handlerEvents.requests: // the request is out; nobody will answer it
	case err := <-done:
		t.Fatalf("call ended before the crash: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the handler link")
	}

	start := time.Now()
	srv.Kill()
	t.Cleanup(func() {
		if err := srv.Restart(); err != nil {
			t.Errorf("restart the server for the next test: %v", err)
		}
	})

	select {
	case err := <-done:
		if rpcerr.Code(err) != rpcerr.RecipientDisconnected {
			t.Fatalf("pending call ended with %v, want 1503 (link lost)", err)
		}
		t.Logf("pending call failed %v after the crash: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(15 * time.Second):
		t.Fatal("pending call still waiting 15 s after the server died")
	}
	select {
	case err := <-handlerEvents.err:
		if !errors.Is(err, peer.ErrSignalLost) && !errors.Is(err, peer.ErrTransportFailed) {
			t.Fatalf("handler link Disconnected(%v), want ErrSignalLost or ErrTransportFailed", err)
		}
		t.Logf("handler link reported %v after %v", err, time.Since(start).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("handler link never reported the loss")
	}
	err := handlerLink.Send(context.Background(), &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}})
	if err == nil || !errors.Is(err, handlerLink.Err()) {
		t.Fatalf("Send after the loss = %v, want the link's end error %v", err, handlerLink.Err())
	}
}
