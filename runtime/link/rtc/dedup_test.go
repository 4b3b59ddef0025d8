package rtc

import (
	"testing"

	"github.com/livekit/protocol/livekit"
)

func numbered(sid string, seq uint32) *livekit.DataPacket {
	return &livekit.DataPacket{ParticipantSid: sid, Sequence: seq}
}

// What a sender replays after a resume (a sequence number at or below the
// highest delivered) is dropped; anything new passes, per sender.
func TestDedupDropsReplaysPerSender(t *testing.T) {
	d := newDedup()
	steps := []struct {
		pkt  *livekit.DataPacket
		seen bool
	}{
		{numbered("PA", 1), false},
		{numbered("PA", 2), false},
		{numbered("PA", 2), true},  // replayed
		{numbered("PA", 1), true},  // replayed, older
		{numbered("PB", 1), false}, // another sender numbers on its own
		{numbered("PA", 5), false}, // a gap is not a replay
		{numbered("PA", 3), true},  // below the highest delivered
		{numbered("", 7), false},   // no sender SID: cannot tell, passed
		{numbered("PA", 0), false}, // unnumbered (lossy, or an old SDK): passed
		{numbered("PA", 0), false},
	}
	for i, s := range steps {
		if got := d.seen(s.pkt); got != s.seen {
			t.Fatalf("step %d (sid %q, seq %d): seen = %v, want %v", i, s.pkt.ParticipantSid, s.pkt.Sequence, got, s.seen)
		}
	}
}

// A departed sender is forgotten: one who rejoins under the same SID (it
// cannot, the server issues a new one, but a stale table must not grow or
// drop its packets) starts afresh.
func TestDedupForgetsDepartedSender(t *testing.T) {
	d := newDedup()
	d.seen(numbered("PA", 9))
	d.forget("PA")
	if d.seen(numbered("PA", 1)) {
		t.Fatal("packet 1 of a forgotten sender dropped as a replay")
	}
	if len(d.last) != 1 {
		t.Fatalf("table holds %d senders, want 1", len(d.last))
	}
}
