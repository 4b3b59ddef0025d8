package memroom

import (
	"errors"
	"slices"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

func TestSendStampsSenderAndKeepsSequence(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	_, bob := join(t, r, "bob")

	pkt := user("x", "bob")
	pkt.ParticipantIdentity = "mallory"
	pkt.ParticipantSid = "PA_forged"
	pkt.Sequence = 7
	send(t, a, pkt)

	got := bob.nextPacket(t)
	if got.ParticipantIdentity != "alice" || got.ParticipantSid != a.Local().SID {
		t.Errorf("stamped sender = %q/%q, want alice/%q", got.ParticipantIdentity, got.ParticipantSid, a.Local().SID)
	}
	if got.Sequence != 7 {
		t.Errorf("sequence = %d, want 7 as the sender set it", got.Sequence)
	}
	if !slices.Equal(got.DestinationIdentities, []string{"bob"}) {
		t.Errorf("destinations = %v, want [bob]", got.DestinationIdentities)
	}
	if pkt.ParticipantIdentity != "mallory" {
		t.Error("Send modified the caller's packet")
	}
}

func TestSendOnlyToDestinationsInRoom(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	_, carol := join(t, r, "carol")
	var seen []Delivery
	stop := r.Observe(func(d Delivery) { seen = append(seen, d) })
	defer stop()

	send(t, a, user("to-carol", "carol", "ghost", "alice", "carol"))
	send(t, b, user("after", "alice", "carol"))

	expectMarkers(t, carol, "to-carol", "after")
	expectMarkers(t, alice, "after") // alice never gets her own packet
	send(t, a, user("marker", "bob"))
	expectMarkers(t, bob, "marker") // nothing addressed to carol reached bob

	r.mu.Lock()
	defer r.mu.Unlock()
	if len(seen) != 3 || !slices.Equal(seen[0].To, []string{"carol"}) || seen[0].From != "alice" {
		t.Fatalf("observed %+v, want first delivery alice → [carol]", seen)
	}
}

func TestSendWithoutDestinationsBroadcastsToOthers(t *testing.T) {
	r := newTestRoom(t)
	a, alice := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	_, carol := join(t, r, "carol")

	send(t, a, user("all"))
	expectMarkers(t, bob, "all")
	expectMarkers(t, carol, "all")
	send(t, b, user("from-bob", "alice"))
	expectMarkers(t, alice, "from-bob") // her own broadcast did not come first
}

func TestSendToNobodyIsObservedWithNoRecipients(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	got := make(chan Delivery, 1)
	r.Observe(func(d Delivery) { got <- d })
	send(t, a, user("x", "ghost"))
	d := <-got
	if len(d.To) != 0 || d.Seq != 1 {
		t.Errorf("delivery = %+v, want no recipients, seq 1", d)
	}
}

func TestObserveSeesClonesInOrderUntilStopped(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	_, bob := join(t, r, "bob")
	var seen []Delivery
	stop := r.Observe(func(d Delivery) {
		d.Packet.DestinationIdentities = []string{"tampered"} // must not reach bob
		seen = append(seen, d)
	})
	send(t, a, user("1", "bob"))
	send(t, a, user("2", "bob"))
	stop()
	stop() // harmless
	send(t, a, user("3", "bob"))
	for _, want := range []string{"1", "2", "3"} {
		got := bob.nextPacket(t)
		if marker(got) != want || !slices.Equal(got.DestinationIdentities, []string{"bob"}) {
			t.Fatalf("bob got %q to %v, want %q to [bob]", marker(got), got.DestinationIdentities, want)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(seen) != 2 || seen[0].Seq != 1 || seen[1].Seq != 2 || seen[0].Packet.ParticipantIdentity != "alice" {
		t.Fatalf("observed %d deliveries %+v, want seq 1 and 2 stamped alice", len(seen), seen)
	}
}

func TestEachRecipientGetsItsOwnCopy(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	_, bob := join(t, r, "bob")
	_, carol := join(t, r, "carol")
	send(t, a, user("x"))
	pb, pc := bob.nextPacket(t), carol.nextPacket(t)
	if pb == pc || !proto.Equal(pb, pc) {
		t.Error("recipients share one packet or got different packets")
	}
}

func TestSendRejectsNilAndDoneContext(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	if err := a.Send(t.Context(), nil); err == nil {
		t.Error("Send(nil) succeeded")
	}
	ctx, cancel := contextCancelled(t)
	defer cancel()
	if err := a.Send(ctx, user("x")); !errors.Is(err, ctx.Err()) {
		t.Errorf("Send with done ctx = %v", err)
	}
}

func TestJoinRejectsDuplicateAndEmptyIdentity(t *testing.T) {
	r := newTestRoom(t)
	join(t, r, "alice")
	if _, err := r.Join("alice"); !errors.Is(err, ErrDuplicateIdentity) {
		t.Errorf("duplicate Join = %v, want ErrDuplicateIdentity", err)
	}
	if _, err := r.Join(""); err == nil {
		t.Error("Join(\"\") succeeded")
	}
	r.Close()
	if _, err := r.Join("bob"); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Join after Close = %v, want ErrRoomClosed", err)
	}
}

func TestJoinOptionsAreAdvertised(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	attrs := map[string]string{"k": "v"}
	b, _ := join(t, r, "bob",
		WithClientProtocol(0), WithCapabilities(), WithKind(livekit.ParticipantInfo_AGENT), WithAttributes(attrs))
	attrs["k"] = "changed"

	if l := a.Local(); l.ClientProtocol != 2 || !l.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) || l.SID == "" {
		t.Errorf("default Local() = %+v, want protocol 2 with deflate and a sid", l)
	}
	got, ok := a.Participant("bob")
	if !ok {
		t.Fatal("alice does not know bob")
	}
	if got.ClientProtocol != 0 || len(got.Capabilities) != 0 || got.Kind != livekit.ParticipantInfo_AGENT ||
		got.Attributes["k"] != "v" || got.SID != b.Local().SID {
		t.Errorf("alice sees bob as %+v", got)
	}
}
