package rtc_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// stateLog collects a link's recovery steps (WithStateHandler).
type stateLog struct {
	mu      sync.Mutex
	changes []rtc.StateChange
	ch      chan rtc.StateChange
}

func newStateLog() *stateLog { return &stateLog{ch: make(chan rtc.StateChange, 16)} }

func (s *stateLog) handle(c rtc.StateChange) {
	s.mu.Lock()
	s.changes = append(s.changes, c)
	s.mu.Unlock()
	s.ch <- c
}

func (s *stateLog) next(t *testing.T, want rtc.State, within time.Duration) rtc.StateChange {
	t.Helper()
	select {
	case c := <-s.ch:
		if c.State != want {
			t.Fatalf("state %v (%+v), want %v", c.State, c, want)
		}
		return c
	case <-time.After(within):
		t.Fatalf("no %v within %v", want, within)
	}
	panic("unreachable")
}

// The server asks for a full reconnect (a LeaveRequest with action
// RECONNECT, handed to the link as the server would send it: see
// rtc.InjectLeave): the link joins again with a new session under the same
// identity, reports the witness Left then Joined, keeps the attributes
// SetAttributes had set, and data flows both ways with no Disconnected.
func TestE2ERejoinsWhenTheServerAsksForAReconnect(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	states := newStateLog()
	a := srv.ConnectLink(t, room, "rejoiner", rtc.WithStateHandler(states.handle))
	arec := newRecorder()
	a.Attach(arec)
	b := srv.ConnectLink(t, room, "witness")
	brec := newRecorder()
	b.Attach(brec)
	arec.nextEvent(t, link.Joined, "witness", announceWithin)
	brec.nextEvent(t, link.Joined, "rejoiner", announceWithin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.SetAttributes(ctx, map[string]string{"lkrpc.test": "kept"}); err != nil {
		t.Fatal(err)
	}
	oldSID := a.Local().SID

	at := time.Now()
	rtc.InjectLeave(a, &livekit.LeaveRequest{Action: livekit.LeaveRequest_RECONNECT, Reason: livekit.DisconnectReason_SIGNAL_CLOSE})
	states.next(t, rtc.StateReconnecting, 2*time.Second)
	arec.nextEvent(t, link.Left, "witness", 2*time.Second)
	c := states.next(t, rtc.StateReconnected, 10*time.Second)
	t.Logf("rejoined %v after the leave (%+v)", time.Since(at).Round(time.Millisecond), c)
	if !c.Rejoin || a.Rejoins() != 1 {
		t.Fatalf("StateReconnected %+v, Rejoins %d: want a rejoin", c, a.Rejoins())
	}
	if sid := a.Local().SID; sid == oldSID || sid == "" {
		t.Fatalf("SID after the rejoin %q, want a new one (was %q)", sid, oldSID)
	}
	arec.nextEvent(t, link.Joined, "witness", 5*time.Second)
	if got := a.Local().Attributes["lkrpc.test"]; got != "kept" {
		t.Fatalf("Local().Attributes after the rejoin = %v, want lkrpc.test=kept", a.Local().Attributes)
	}
	// The witness sees the new session with the attribute set again.
	deadline := time.Now().Add(announceWithin)
	for {
		p, ok := b.Participant("rejoiner")
		if ok && p.SID == a.Local().SID && p.Attributes["lkrpc.test"] == "kept" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("witness sees rejoiner as %+v (present %v), want the new SID with lkrpc.test=kept", p, ok)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the witness saw the new session with its attribute %v after the leave", time.Since(at).Round(time.Millisecond))

	sendUser(t, a, "witness", "after the rejoin")
	waitUser(t, brec, "after the rejoin")
	sendUser(t, b, "rejoiner", "back to you")
	waitUser(t, arec, "back to you")
	select {
	case err := <-arec.disconnected:
		t.Fatalf("Disconnected(%v) across a rejoin", err)
	default:
	}
}

// A LeaveRequest with action RESUME: the link resumes its session (same
// SID); nothing is reported to the receiver.
func TestE2EResumesWhenTheServerAsksForAResume(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	states := newStateLog()
	a := srv.ConnectLink(t, room, "resumer", rtc.WithStateHandler(states.handle))
	arec := newRecorder()
	a.Attach(arec)
	b := srv.ConnectLink(t, room, "witness")
	brec := newRecorder()
	b.Attach(brec)
	arec.nextEvent(t, link.Joined, "witness", announceWithin)
	sid := a.Local().SID

	at := time.Now()
	rtc.InjectLeave(a, &livekit.LeaveRequest{Action: livekit.LeaveRequest_RESUME, Reason: livekit.DisconnectReason_MIGRATION})
	states.next(t, rtc.StateReconnecting, 2*time.Second)
	c := states.next(t, rtc.StateReconnected, 10*time.Second)
	t.Logf("resumed %v after the leave (%+v)", time.Since(at).Round(time.Millisecond), c)
	if c.Rejoin || a.Resumes() != 1 || a.Local().SID != sid {
		t.Fatalf("StateReconnected %+v, Resumes %d, SID %s (was %s): want a resume", c, a.Resumes(), a.Local().SID, sid)
	}
	sendUser(t, a, "witness", "resumed")
	waitUser(t, brec, "resumed")
	select {
	case ev := <-arec.events:
		t.Fatalf("event %+v across a resume", ev)
	default:
	}
}

// The data channel closes under the link (what a dead SCTP association
// looks like): the link rejoins. A Send during the rejoin fails with an
// error wrapping link.ErrClosed and ErrReconnecting.
func TestE2ERejoinsAfterItsDataChannelFailed(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	states := newStateLog()
	a := srv.ConnectLink(t, room, "broken", rtc.WithStateHandler(states.handle))
	arec := newRecorder()
	a.Attach(arec)
	b := srv.ConnectLink(t, room, "witness")
	brec := newRecorder()
	b.Attach(brec)
	arec.nextEvent(t, link.Joined, "witness", announceWithin)

	at := time.Now()
	rtc.FailTransport(a, true)
	states.next(t, rtc.StateReconnecting, 2*time.Second)
	// The Left comes once the session is dropped (StateReconnecting comes
	// just before).
	arec.nextEvent(t, link.Left, "witness", time.Second)
	err := a.Send(context.Background(), &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}})
	if !errors.Is(err, link.ErrClosed) || !errors.Is(err, rtc.ErrReconnecting) {
		t.Fatalf("Send during the rejoin = %v, want link.ErrClosed and ErrReconnecting", err)
	}
	c := states.next(t, rtc.StateReconnected, 15*time.Second)
	t.Logf("rejoined %v after the failure (%+v)", time.Since(at).Round(time.Millisecond), c)
	arec.nextEvent(t, link.Joined, "witness", 5*time.Second)
	sendUser(t, a, "witness", "rejoined")
	waitUser(t, brec, "rejoined")
}

// With rejoining off, a Leave asking for a reconnect ends the link as a
// removal did before rejoining existed.
func TestE2EReconnectLeaveWithoutRejoinEndsTheLink(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	l := srv.ConnectLink(t, lkserver.RoomName(t), "fragile", rtc.WithReconnect(0))
	rec := newRecorder()
	l.Attach(rec)
	rtc.InjectLeave(l, &livekit.LeaveRequest{Action: livekit.LeaveRequest_RECONNECT})
	if err := rec.waitDisconnected(t, 5*time.Second); !errors.Is(err, rtc.ErrRemovedByServer) {
		t.Fatalf("Disconnected(%v), want ErrRemovedByServer", err)
	}
}

func sendUser(t *testing.T, from *rtc.Link, to, text string) {
	t.Helper()
	if err := from.Send(context.Background(), &livekit.DataPacket{
		DestinationIdentities: []string{to},
		Value:                 &livekit.DataPacket_User{User: &livekit.UserPacket{Payload: []byte(text)}},
	}); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
}

func waitUser(t *testing.T, r *recorder, text string) {
	t.Helper()
	for {
		if string(r.nextPacket(t, 5*time.Second).GetUser().GetPayload()) == text {
			return
		}
	}
}
