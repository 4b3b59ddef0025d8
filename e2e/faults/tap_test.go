package faults

import (
	"context"
	"sync"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// tap is a link.Link decorator between a participant link and its engine
// that tells a test what crossed it: stream chunks sent and received (by
// topic, with running counts) and participants' departures. Received
// packets and events are reported after the engine has had them, so a
// test woken by the tap knows the engine knows.
type tap struct {
	link.Link

	mu     sync.Mutex
	topics map[string]string // stream id → topic, of the streams seen either way
	sent   map[string]tally  // per topic
	recvd  map[string]tally  // per topic
	waits  []*tapWait
}

// tally counts the chunks of one topic in one direction.
type tally struct {
	chunks int
	bytes  int64 // chunk content bytes, as sent (compressed or not)
}

// crossing is one thing that crossed the tap.
type crossing struct {
	sent  bool   // a packet the engine sent (else one it received)
	topic string // the stream's topic, for stream packets
	chunk bool
	tally tally  // the topic's count in this direction, this chunk included
	left  string // identity of a participant reported gone, for events
}

type tapWait struct {
	match func(crossing) bool
	ch    chan struct{}
}

func newTap(l link.Link) *tap {
	return &tap{Link: l, topics: map[string]string{}, sent: map[string]tally{}, recvd: map[string]tally{}}
}

// when returns a channel closed at the first crossing that matches.
func (tp *tap) when(match func(crossing) bool) <-chan struct{} {
	w := &tapWait{match: match, ch: make(chan struct{})}
	tp.mu.Lock()
	tp.waits = append(tp.waits, w)
	tp.mu.Unlock()
	return w.ch
}

// bytesReceived is how many chunk content bytes of topic the engine has
// received so far.
func (tp *tap) bytesReceived(topic string) int64 {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.recvd[topic].bytes
}

// chunksSent is how many chunks of topic the engine has sent so far.
func (tp *tap) chunksSent(topic string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.sent[topic].chunks
}

func (tp *tap) Attach(r link.Receiver) { tp.Link.Attach(tapReceiver{Receiver: r, tp: tp}) }

func (tp *tap) Send(ctx context.Context, pkt *livekit.DataPacket) error {
	err := tp.Link.Send(ctx, pkt)
	if err == nil {
		tp.note(tp.packet(true, pkt))
	}
	return err
}

type tapReceiver struct {
	link.Receiver
	tp *tap
}

func (r tapReceiver) ReceivePacket(pkt *livekit.DataPacket) {
	r.Receiver.ReceivePacket(pkt)
	r.tp.note(r.tp.packet(false, pkt))
}

func (r tapReceiver) ParticipantChanged(ev link.Event) {
	r.Receiver.ParticipantChanged(ev)
	if ev.Kind == link.Left {
		r.tp.note(crossing{left: ev.Participant.Identity})
	}
}

// packet describes pkt and counts it.
func (tp *tap) packet(sent bool, pkt *livekit.DataPacket) crossing {
	c := crossing{sent: sent}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	switch v := pkt.Value.(type) {
	case *livekit.DataPacket_StreamHeader:
		c.topic = v.StreamHeader.GetTopic()
		tp.topics[v.StreamHeader.GetStreamId()] = c.topic
	case *livekit.DataPacket_StreamChunk:
		c.topic, c.chunk = tp.topics[v.StreamChunk.GetStreamId()], true
		counts := tp.recvd
		if sent {
			counts = tp.sent
		}
		t := counts[c.topic]
		t.chunks++
		t.bytes += int64(len(v.StreamChunk.GetContent()))
		counts[c.topic], c.tally = t, t
	case *livekit.DataPacket_StreamTrailer:
		c.topic = tp.topics[v.StreamTrailer.GetStreamId()]
	}
	return c
}

// note wakes the waits c matches, once each.
func (tp *tap) note(c crossing) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	kept := tp.waits[:0]
	for _, w := range tp.waits {
		if w.match(c) {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	tp.waits = kept
}

// received matches the received chunk of topic that brings the count of
// its content bytes to at least n.
func received(topic string, n int64) func(crossing) bool {
	return func(c crossing) bool { return !c.sent && c.chunk && c.topic == topic && c.tally.bytes >= n }
}

// departed matches the report that identity left.
func departed(identity string) func(crossing) bool {
	return func(c crossing) bool { return c.left == identity }
}
