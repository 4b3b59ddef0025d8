package faults

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}

// The server dies (SIGKILL) while a call is pending, with rejoining off
// (rtc.WithReconnect(0)): both links try to
// resume the signal connection (refused: nothing listens any more) and then
// report the loss. The pending call fails with 1503 then, instead of
// waiting for its one-minute timeout; the handler still running is
// cancelled; later sends fail with the link's end error.
func TestSFUServerKilledMidCall(t *testing.T) {
	v := newEnv(t)
	// Rejoining off: this is the loss reported, when nothing brings the
	// server back (e2e/recover_test.go has the rejoin after a restart).
	alice := v.member("alice", v.srv.ConnectLink(t, v.room, "alice", rtc.WithReconnect(0)))
	bob := v.member("bob", v.srv.ConnectLink(t, v.room, "bob", rtc.WithReconnect(0)))
	cancelled := bob.serveUntilCancelled(t)
	meet(t, alice, bob)

	r := v.start(alice, bob, "x")
	waitRuns(t, bob, 1)
	at := time.Now()
	v.srv.Kill()
	t.Cleanup(func() {
		if err := v.srv.Restart(); err != nil {
			t.Errorf("restart the server for the next test: %v", err)
		}
	})

	r.wantCode(t, rpcerr.RecipientDisconnected, at, giveUpBound)
	select {
	case c := <-cancelled:
		t.Logf("bob's handler was cancelled %v after the kill", c.Sub(at).Round(time.Millisecond))
	case <-time.After(time.Until(at.Add(giveUpBound))):
		t.Fatalf("bob's handler still running %v after the kill", giveUpBound)
	}
	for _, m := range []*member{alice, bob} {
		select {
		case <-m.link.Done():
		case <-time.After(time.Until(at.Add(giveUpBound))):
			t.Fatalf("%s's link still up %v after the kill", m.identity, giveUpBound)
		}
		if err := m.link.Err(); !errors.Is(err, rtc.ErrSignalLost) && !errors.Is(err, rtc.ErrTransportFailed) {
			t.Fatalf("%s's link ended with %v, want ErrSignalLost or ErrTransportFailed", m.identity, err)
		}
		err := m.link.Send(context.Background(), &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}})
		if !errors.Is(err, m.link.Err()) {
			t.Fatalf("%s: Send after the loss = %v, want the link's end error %v", m.identity, err, m.link.Err())
		}
	}
	t.Logf("both links ended by %v after the kill", time.Since(at).Round(time.Millisecond))
	bob.wantRuns(t, 1)
}
