package rtc

import (
	"maps"
	"slices"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// maxDeparted bounds how many departed SIDs the table remembers. A departed
// SID never comes back (a rejoin gets a new one), so remembering it only
// guards against late or replayed updates; old ones can be forgotten.
const maxDeparted = 1024

// participantTable tracks the remote participants of the room from the
// JoinResponse and the ParticipantUpdates that follow. It is not safe for
// concurrent use; the link guards it with its own mutex.
//
// Rules (docs/DESIGN.md, "The real-room link: rtc", Participants):
//   - entries are keyed by SID and ordered by ParticipantInfo.version: an
//     update older than what is known for that SID is ignored;
//   - a DISCONNECTED entry removes the participant only if it names the SID
//     that is live for that identity, so a stale departed entry (the
//     snapshot after a resume lists recently departed participants) never
//     replaces a live one;
//   - an identity that reappears with a new SID and a later join time
//     replaces the old entry (reported as Left then Joined); one with an
//     earlier join time is stale and ignored.
type participantTable struct {
	localSID      string
	localIdentity string

	bySID      map[string]*livekit.ParticipantInfo
	views      map[string]link.Participant // SID → bySID's entry as the engine sees it, made once per update
	sidOf      map[string]string           // identity → live SID
	departed   map[string]struct{}
	departedAt []string // departure order, to forget the oldest first
}

func newParticipantTable(localSID, localIdentity string) *participantTable {
	return &participantTable{
		localSID:      localSID,
		localIdentity: localIdentity,
		bySID:         make(map[string]*livekit.ParticipantInfo),
		views:         make(map[string]link.Participant),
		sidOf:         make(map[string]string),
		departed:      make(map[string]struct{}),
	}
}

// apply folds infos into the table and returns the resulting events in order.
func (t *participantTable) apply(infos []*livekit.ParticipantInfo) []link.Event {
	var events []link.Event
	for _, info := range infos {
		events = t.applyOne(info, events)
	}
	return events
}

func (t *participantTable) applyOne(info *livekit.ParticipantInfo, events []link.Event) []link.Event {
	sid, identity := info.GetSid(), info.GetIdentity()
	if sid == "" || identity == "" || sid == t.localSID || identity == t.localIdentity {
		return events
	}
	if _, gone := t.departed[sid]; gone {
		return events
	}
	leaving := info.GetState() == livekit.ParticipantInfo_DISCONNECTED

	if known, ok := t.bySID[sid]; ok {
		if isOlder(info, known, leaving) {
			return events
		}
		if leaving {
			return append(events, t.remove(sid))
		}
		before := t.views[sid]
		after := t.set(sid, info)
		if !sameParticipant(before, after) {
			events = append(events, link.Event{Kind: link.Updated, Participant: after})
		}
		return events
	}

	if leaving {
		// Unknown SID leaving: either already gone or a stale snapshot entry
		// for an identity that now lives under another SID. Remember it so a
		// late non-leaving update for it cannot resurrect it.
		t.markDeparted(sid)
		return events
	}
	if liveSID, ok := t.sidOf[identity]; ok {
		if joinedBefore(info, t.bySID[liveSID]) {
			return events // a stale entry for an identity that has since rejoined
		}
		events = append(events, t.remove(liveSID))
	}
	t.sidOf[identity] = sid
	return append(events, link.Event{Kind: link.Joined, Participant: t.set(sid, info)})
}

// set records info under sid and returns its view.
func (t *participantTable) set(sid string, info *livekit.ParticipantInfo) link.Participant {
	t.bySID[sid] = info
	view := toParticipant(info)
	t.views[sid] = view
	return view
}

func (t *participantTable) remove(sid string) link.Event {
	info, view := t.bySID[sid], t.views[sid]
	delete(t.bySID, sid)
	delete(t.views, sid)
	if t.sidOf[info.GetIdentity()] == sid {
		delete(t.sidOf, info.GetIdentity())
	}
	t.markDeparted(sid)
	return link.Event{Kind: link.Left, Participant: view}
}

func (t *participantTable) markDeparted(sid string) {
	if _, ok := t.departed[sid]; ok {
		return
	}
	t.departed[sid] = struct{}{}
	t.departedAt = append(t.departedAt, sid)
	if len(t.departedAt) > maxDeparted {
		delete(t.departed, t.departedAt[0])
		t.departedAt = t.departedAt[1:]
	}
}

// lookup returns the live participant with this identity. Its Attributes
// and Capabilities are the table's own (link.Link.Participant: read-only):
// the engine looks a participant up for every call and reply, and copying
// them each time cost a tenth of a burst's CPU.
func (t *participantTable) lookup(identity string) (link.Participant, bool) {
	sid, ok := t.sidOf[identity]
	if !ok {
		return link.Participant{}, false
	}
	return t.views[sid], true
}

// all returns every live participant, ordered by identity so that the
// Joined events Attach reports are deterministic.
func (t *participantTable) all() []link.Participant {
	out := make([]link.Participant, 0, len(t.sidOf))
	for _, identity := range slices.Sorted(maps.Keys(t.sidOf)) {
		out = append(out, t.views[t.sidOf[identity]])
	}
	return out
}

// isOlder reports whether info is older news than known about the same SID,
// or the same news again. A departure at the same version is news: the
// server may announce a leave without bumping the version. Version 0 means
// "not versioned" and is always taken.
func isOlder(info, known *livekit.ParticipantInfo, leaving bool) bool {
	v, k := info.GetVersion(), known.GetVersion()
	switch {
	case v < k:
		return true
	case v == k && v != 0:
		return !leaving
	default:
		return false
	}
}

// joinedBefore reports whether a joined the room strictly before b, by the
// most precise join time both carry. Unknown times compare as "not before",
// so an entry without times is taken as news.
func joinedBefore(a, b *livekit.ParticipantInfo) bool {
	if a.GetJoinedAtMs() != 0 && b.GetJoinedAtMs() != 0 {
		return a.GetJoinedAtMs() < b.GetJoinedAtMs()
	}
	if a.GetJoinedAt() != 0 && b.GetJoinedAt() != 0 {
		return a.GetJoinedAt() < b.GetJoinedAt()
	}
	return false
}

func toParticipant(info *livekit.ParticipantInfo) link.Participant {
	return link.Participant{
		Identity:       info.GetIdentity(),
		SID:            info.GetSid(),
		Kind:           info.GetKind(),
		Attributes:     maps.Clone(info.GetAttributes()),
		ClientProtocol: info.GetClientProtocol(),
		Capabilities:   slices.Clone(info.GetCapabilities()),
	}
}

// sameParticipant reports whether nothing the engine cares about changed.
func sameParticipant(a, b link.Participant) bool {
	return a.Identity == b.Identity && a.SID == b.SID && a.Kind == b.Kind &&
		a.ClientProtocol == b.ClientProtocol &&
		slices.Equal(a.Capabilities, b.Capabilities) &&
		maps.Equal(a.Attributes, b.Attributes)
}
