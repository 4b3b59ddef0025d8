package memroom

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/link"
)

func expectEvent(t *testing.T, rec *recorder, kind link.EventKind, identity string) link.Event {
	t.Helper()
	ev := rec.nextEvent(t)
	if ev.Kind != kind || ev.Participant.Identity != identity {
		t.Fatalf("event = %v %q, want %v %q", ev.Kind, ev.Participant.Identity, kind, identity)
	}
	return ev
}

func TestAttachReportsPresentThenHeldPackets(t *testing.T) {
	r := newTestRoom(t)
	a, err := r.Join("alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := join(t, r, "bob", WithClientProtocol(1))
	_, _ = join(t, r, "carol")
	gone, _ := join(t, r, "dave")
	send(t, b, user("held-1", "alice"))
	send(t, b, user("held-2", "alice"))
	if err := gone.Close(); err != nil { // left before alice attached: not reported
		t.Fatal(err)
	}

	alice := newRecorder()
	a.Attach(alice)
	ev := expectEvent(t, alice, link.Joined, "bob")
	if ev.Participant.ClientProtocol != 1 {
		t.Errorf("Joined bob with protocol %d, want 1", ev.Participant.ClientProtocol)
	}
	expectEvent(t, alice, link.Joined, "carol")
	expectMarkers(t, alice, "held-1", "held-2")

	_, _ = join(t, r, "erin")
	expectEvent(t, alice, link.Joined, "erin")
	if len(alice.events) != 0 {
		t.Errorf("extra events: %v", <-alice.events)
	}
}

func TestAttachTwicePanics(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	defer func() {
		if recover() == nil {
			t.Error("second Attach did not panic")
		}
	}()
	a.Attach(newRecorder())
}

func TestNewcomerKnowsEveryoneAtOnce(t *testing.T) {
	r := newTestRoom(t, WithAnnounceDelay(time.Hour))
	a, _ := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	if _, ok := b.Participant("alice"); !ok {
		t.Error("bob does not know alice at join")
	}
	expectEvent(t, bob, link.Joined, "alice")
	if _, ok := a.Participant("bob"); ok {
		t.Error("alice knows bob before the announce delay")
	}
}

func TestAnnounceDelayLetsPacketsArriveFirst(t *testing.T) {
	r := newTestRoom(t, WithAnnounceDelay(time.Hour))
	a, alice := join(t, r, "alice")
	b, _ := join(t, r, "bob")
	send(t, b, user("early", "alice"))
	if got := alice.nextPacket(t); got.ParticipantIdentity != "bob" {
		t.Fatalf("packet from %q", got.ParticipantIdentity)
	}
	if _, ok := a.Participant("bob"); ok {
		t.Error("bob announced before the delay")
	}
	// bob leaves unannounced: alice, who never heard of bob, hears nothing.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	join(t, r, "carol")
	select {
	case ev := <-alice.events:
		t.Fatalf("unexpected event %v %q", ev.Kind, ev.Participant.Identity)
	default:
	}
}

func TestAnnounceDelayEventuallyAnnounces(t *testing.T) {
	r := newTestRoom(t, WithAnnounceDelay(time.Millisecond))
	a, alice := join(t, r, "alice")
	join(t, r, "bob")
	expectEvent(t, alice, link.Joined, "bob")
	if _, ok := a.Participant("bob"); !ok {
		t.Error("announced but Participant(bob) unknown")
	}
}

func TestAnnounceEndsTheDelayNow(t *testing.T) {
	r := newTestRoom(t, WithAnnounceDelay(time.Hour))
	a, alice := join(t, r, "alice")
	join(t, r, "bob")
	r.Announce("bob")
	expectEvent(t, alice, link.Joined, "bob")
	if _, ok := a.Participant("bob"); !ok {
		t.Error("announced but Participant(bob) unknown")
	}
	r.Announce("bob")    // already announced: nothing more
	r.Announce("nobody") // not in the room: nothing
	join(t, r, "carol")
	r.Announce("carol")
	if ev := alice.nextEvent(t); ev.Kind != link.Joined || ev.Participant.Identity != "carol" {
		t.Fatalf("event %v %q, want carol joined (and no second event for bob)", ev.Kind, ev.Participant.Identity)
	}
}

func TestCloseIsLeave(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	expectEvent(t, alice, link.Joined, "bob")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, alice, link.Left, "bob")
	if err := bob.disconnected(t); err != nil {
		t.Errorf("Disconnected(%v) after Close, want nil", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := b.Send(t.Context(), user("x")); !errors.Is(err, ErrLeft) {
		t.Errorf("Send after Close = %v, want ErrLeft", err)
	}
	if _, ok := a.Participant("bob"); ok {
		t.Error("alice still knows bob")
	}
	if _, err := r.Join("bob"); err != nil {
		t.Errorf("rejoin after leave: %v", err)
	}
}

func TestRemoveDisconnectsWithReason(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	expectEvent(t, alice, link.Joined, "bob")
	boom := errors.New("kicked")
	r.Remove("bob", boom)
	r.Remove("nobody", boom)
	expectEvent(t, alice, link.Left, "bob")
	if err := bob.disconnected(t); !errors.Is(err, boom) {
		t.Errorf("Disconnected(%v), want %v", err, boom)
	}
	if err := b.Send(t.Context(), user("x")); !errors.Is(err, ErrLeft) {
		t.Errorf("Send after Remove = %v, want ErrLeft", err)
	}
	got := make(chan Delivery, 1)
	r.Observe(func(d Delivery) { got <- d })
	send(t, a, user("to-bob", "bob"))
	if d := <-got; len(d.To) != 0 {
		t.Errorf("packet to removed bob routed to %v", d.To)
	}
}

func TestSetAttributesMergesAndSendsUpdated(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	b, _ := join(t, r, "bob", WithAttributes(map[string]string{"role": "agent", "old": "x"}))
	expectEvent(t, alice, link.Joined, "bob")
	if err := b.SetAttributes(t.Context(), map[string]string{"mood": "ok", "old": ""}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"role": "agent", "mood": "ok"} // "old" deleted, "role" untouched
	ev := expectEvent(t, alice, link.Updated, "bob")
	if !maps.Equal(ev.Participant.Attributes, want) {
		t.Errorf("Updated attributes = %v, want %v", ev.Participant.Attributes, want)
	}
	if p, _ := a.Participant("bob"); !maps.Equal(p.Attributes, want) {
		t.Errorf("Participant(bob).Attributes = %v, want %v", p.Attributes, want)
	}
	if got := b.Local().Attributes; !maps.Equal(got, want) {
		t.Errorf("bob's Local().Attributes = %v, want %v", got, want)
	}
	_ = b.Close()
	if err := b.SetAttributes(t.Context(), map[string]string{"mood": "gone"}); !errors.Is(err, ErrLeft) {
		t.Errorf("SetAttributes after Close = %v, want ErrLeft", err)
	}
}

func TestRoomCloseDisconnectsEveryone(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	unattached, err := r.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if err := alice.disconnected(t); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("alice Disconnected(%v), want ErrRoomClosed", err)
	}
	if err := a.Send(t.Context(), user("x")); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Send after Room.Close = %v", err)
	}
	bob := newRecorder()
	unattached.Attach(bob) // after Close: delivered at once, no goroutine
	if err := bob.disconnected(t); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("bob Disconnected(%v), want ErrRoomClosed", err)
	}
	if len(bob.events) != 0 {
		t.Error("events delivered after Room.Close")
	}
}
