package rtc

import (
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

func info(identity, sid string, version uint32, state livekit.ParticipantInfo_State, joinedAtMs int64) *livekit.ParticipantInfo {
	return &livekit.ParticipantInfo{
		Identity: identity, Sid: sid, Version: version, State: state, JoinedAtMs: joinedAtMs,
		ClientProtocol: 2, Capabilities: []livekit.ClientInfo_Capability{livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW},
	}
}

const (
	active = livekit.ParticipantInfo_ACTIVE
	gone   = livekit.ParticipantInfo_DISCONNECTED
)

func kinds(events []link.Event) []link.EventKind {
	var out []link.EventKind
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func expectEvents(t *testing.T, got []link.Event, want ...link.EventKind) {
	t.Helper()
	g := kinds(got)
	if len(g) != len(want) {
		t.Fatalf("events %v, want %v", g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("events %v, want %v", g, want)
		}
	}
}

func TestParticipantsJoinUpdateLeave(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 1, active, 100)}), link.Joined)
	p, ok := tab.lookup("bob")
	if !ok || p.SID != "PA_b" || p.ClientProtocol != 2 || !p.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) {
		t.Fatalf("lookup(bob) = %+v, %v", p, ok)
	}

	// A newer version with a changed attribute is an update...
	changed := info("bob", "PA_b", 2, active, 100)
	changed.Attributes = map[string]string{"role": "agent"}
	evs := tab.apply([]*livekit.ParticipantInfo{changed})
	expectEvents(t, evs, link.Updated)
	if evs[0].Participant.Attributes["role"] != "agent" {
		t.Fatalf("update carries %v", evs[0].Participant.Attributes)
	}
	// ...a newer version that changes nothing the engine sees is not...
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{func() *livekit.ParticipantInfo {
		i := info("bob", "PA_b", 3, active, 100)
		i.Attributes = map[string]string{"role": "agent"}
		i.Metadata = "irrelevant"
		return i
	}()}))
	// ...and the departure removes it.
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 4, gone, 100)}), link.Left)
	if _, ok := tab.lookup("bob"); ok {
		t.Fatal("bob still present after leaving")
	}
}

func TestParticipantsIgnoreOlderVersionsAndSelf(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 5, active, 100)})
	stale := info("bob", "PA_b", 4, active, 100)
	stale.ClientProtocol = 0
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{stale, info("bob", "PA_b", 4, gone, 100)}))
	if p, _ := tab.lookup("bob"); p.ClientProtocol != 2 {
		t.Fatalf("an older version overwrote bob: %+v", p)
	}
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("me", "PA_me", 1, active, 1), info("me", "PA_other", 1, active, 1)}))
	if len(tab.all()) != 1 {
		t.Fatalf("local participant listed: %+v", tab.all())
	}
}

// After a resume the server's snapshot lists recently departed participants
// (protocol 0): an old SID of an identity now live under a new SID must
// neither remove nor replace the live entry.
func TestParticipantsStaleDepartedEntryNeverOverwritesLiveOne(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_old", 3, active, 100)})
	// bob rejoins under a new SID: Left for the old, Joined for the new.
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_new", 1, active, 200)}), link.Left, link.Joined)

	staleGone := info("bob", "PA_old", 9, gone, 100)
	staleGone.ClientProtocol = 0
	staleLive := info("bob", "PA_old", 9, active, 100)
	staleLive.ClientProtocol = 0
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{staleGone, staleLive}))
	if p, _ := tab.lookup("bob"); p.SID != "PA_new" || p.ClientProtocol != 2 {
		t.Fatalf("bob = %+v, want the live PA_new with protocol 2", p)
	}

	// An unknown SID for bob that joined earlier than the live one is stale too.
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_older", 1, active, 50)}))
	if p, _ := tab.lookup("bob"); p.SID != "PA_new" {
		t.Fatalf("bob = %+v, want PA_new", p)
	}
}

func TestParticipantsDepartedSIDIsNotResurrected(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 1, active, 100)})
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 2, gone, 100)}), link.Left)
	// A late, reordered update from before the departure.
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 1, active, 100)}))
	if _, ok := tab.lookup("bob"); ok {
		t.Fatal("departed SID came back")
	}
	// A departure of a SID never seen is remembered, not reported.
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("carol", "PA_c", 2, gone, 100)}))
	expectEvents(t, tab.apply([]*livekit.ParticipantInfo{info("carol", "PA_c", 1, active, 100)}))
}

func TestParticipantsAllIsSortedByIdentity(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	tab.apply([]*livekit.ParticipantInfo{info("zed", "PA_z", 1, active, 1), info("amy", "PA_a", 1, active, 1), info("kim", "PA_k", 1, active, 1)})
	var got []string
	for _, p := range tab.all() {
		got = append(got, p.Identity)
	}
	if len(got) != 3 || got[0] != "amy" || got[1] != "kim" || got[2] != "zed" {
		t.Fatalf("all() = %v, want amy kim zed", got)
	}
}

func TestParticipantsForgetOldestDepartedBeyondBound(t *testing.T) {
	tab := newParticipantTable("PA_me", "me")
	for i := range maxDeparted + 10 {
		tab.markDeparted(string(rune('A'+i%26)) + string(rune(i)))
	}
	if len(tab.departed) != maxDeparted || len(tab.departedAt) != maxDeparted {
		t.Fatalf("remembering %d/%d departed SIDs, want %d", len(tab.departed), len(tab.departedAt), maxDeparted)
	}
}
