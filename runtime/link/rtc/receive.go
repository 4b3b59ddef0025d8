package rtc

import (
	"fmt"
	"sync"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// decodePacket reads one data channel message: binary protobuf, or
// protojson when the sender sent text (the SDKs accept both).
func decodePacket(data []byte, isString bool) (*livekit.DataPacket, error) {
	pkt := &livekit.DataPacket{}
	var err error
	if isString {
		err = protojson.Unmarshal(data, pkt)
	} else {
		err = proto.Unmarshal(data, pkt)
	}
	if err != nil {
		return nil, fmt.Errorf("rtc: decode data packet: %w", err)
	}
	return pkt, nil
}

// dedup drops reliable packets seen before. Senders number their reliable
// packets (DataPacket.sequence) and name themselves (participant_sid); after
// a resume a sender replays what the server had not acknowledged, so the
// same (sid, sequence) can arrive twice. Packets without both are passed.
type dedup struct {
	mu   sync.Mutex
	last map[string]uint32 // sender SID → highest sequence delivered
}

func newDedup() *dedup { return &dedup{last: make(map[string]uint32)} }

// seen reports whether pkt is a replay, recording it if not.
func (d *dedup) seen(pkt *livekit.DataPacket) bool {
	sid, seq := pkt.GetParticipantSid(), pkt.GetSequence()
	if sid == "" || seq == 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if seq <= d.last[sid] {
		return true
	}
	d.last[sid] = seq
	return false
}

// forget drops what is known of a departed sender.
func (d *dedup) forget(sid string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.last, sid)
}
