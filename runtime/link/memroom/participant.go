package memroom

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Link is one participant's connection to a Room; it implements
// link.Link. Its state is guarded by the room's lock.
type Link struct {
	room  *Room
	info  link.Participant // Attributes replaced, never mutated, on update
	order uint64           // how many joined before, plus one

	left     bool
	announce *time.Timer                 // pending announcement to the others
	visible  map[string]link.Participant // remote participants it has been told about

	// Inbound: what waits to be handed to the receiver, in order.
	recv     link.Receiver
	queue    []item
	queueSig chan struct{} // wakes the delivery goroutine; capacity 1

	// Outbound: bytes routed but not yet handed to every recipient.
	buffered int
	drained  chan struct{} // closed when buffered falls to the low mark; nil if nobody waits
	held     []routed      // packets waiting for this sender's next packet
}

// item is one thing for the delivery goroutine to hand over.
type item struct {
	pkt  *livekit.DataPacket
	fl   *flight
	ev   *link.Event
	disc bool
	err  error // with disc
}

var (
	_ link.Link            = (*Link)(nil)
	_ link.AttributeSetter = (*Link)(nil)
)

func newParticipant(r *Room, info link.Participant, order uint64) *Link {
	return &Link{
		room:     r,
		order:    order,
		info:     info,
		visible:  map[string]link.Participant{},
		queueSig: make(chan struct{}, 1),
	}
}

// Local describes this participant as it joined.
func (p *Link) Local() link.Participant {
	p.room.mu.Lock()
	defer p.room.mu.Unlock()
	return cloneInfo(p.info)
}

// Participant returns a remote participant this one has been told about.
func (p *Link) Participant(identity string) (link.Participant, bool) {
	p.room.mu.Lock()
	defer p.room.mu.Unlock()
	// Shared, not cloned (link.Link.Participant: read-only): attributes
	// are replaced on update, never modified in place.
	info, ok := p.visible[identity]
	return info, ok
}

// Attach sets the receiver and starts delivering: first a Joined event for
// each remote participant already known (in join order), then the packets
// held since Join, then whatever comes. Events about others that happened
// before Attach are folded into that initial list rather than replayed. It
// panics if called twice or with nil.
func (p *Link) Attach(recv link.Receiver) {
	if recv == nil {
		panic("memroom: Attach(nil)")
	}
	r := p.room
	r.mu.Lock()
	if p.recv != nil {
		r.mu.Unlock()
		panic("memroom: Attach called twice")
	}
	p.recv = recv

	known := slices.Collect(maps.Values(p.visible))
	sort.Slice(known, func(i, j int) bool { return r.joinOrder(known[i]) < r.joinOrder(known[j]) })
	initial := make([]item, 0, len(known)+len(p.queue))
	for _, info := range known {
		initial = append(initial, item{ev: &link.Event{Kind: link.Joined, Participant: cloneInfo(info)}})
	}
	p.queue = append(initial, p.queue...)

	if r.closed {
		// Room.Close may already have finished waiting: hand over what is
		// left (only the disconnect) here rather than start a goroutine.
		pending := p.queue
		p.queue = nil
		r.mu.Unlock()
		for _, it := range pending {
			deliver(recv, it)
		}
		return
	}
	r.work.Add(1)
	r.mu.Unlock()
	go p.deliverLoop(recv)
}

// joinOrder sorts participants by when they joined; everyone p knows is
// still in the room.
func (r *Room) joinOrder(info link.Participant) uint64 {
	if q := r.byID[info.Identity]; q != nil {
		return q.order
	}
	return 0
}

// Send routes pkt through the room. It blocks while this participant's
// undelivered bytes are above the high-water mark, until they fall to the
// low-water mark, except for control packets (link.IsControl). It fails with
// ctx's error, ErrLeft or ErrRoomClosed.
func (p *Link) Send(ctx context.Context, pkt *livekit.DataPacket) error {
	if pkt == nil {
		return errors.New("memroom: Send(nil)")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !link.IsControl(pkt) && p.buffered > r.cfg.sendHigh {
		for p.buffered > r.cfg.sendLow && !p.left {
			if p.drained == nil {
				p.drained = make(chan struct{})
			}
			drained := p.drained
			r.sendWaiting(p, true)
			r.mu.Unlock()
			select {
			case <-drained:
			case <-ctx.Done():
				r.mu.Lock()
				r.sendWaiting(p, false)
				return ctx.Err()
			}
			r.mu.Lock()
			r.sendWaiting(p, false)
		}
	}
	if p.left {
		if r.closed {
			return ErrRoomClosed
		}
		return ErrLeft
	}
	r.routeLocked(p, pkt)
	return nil
}

func (r *Room) sendWaiting(p *Link, waiting bool) {
	if r.sendWaitHook != nil {
		r.sendWaitHook(p, waiting)
	}
}

// Close leaves the room: the others see this participant leave and its own
// receiver gets Disconnected(nil). Closing again does nothing.
func (p *Link) Close() error {
	p.room.mu.Lock()
	defer p.room.mu.Unlock()
	p.room.leaveLocked(p, nil)
	return nil
}

// SetAttributes merges attrs into the participant's attributes as LiveKit
// does (a key given "" is deleted, keys not given stay); those who know it
// see an Updated event, as after a real room's update. It implements
// link.AttributeSetter and fails with ErrLeft or ErrRoomClosed once the
// participant has left.
func (p *Link) SetAttributes(ctx context.Context, attrs map[string]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := p.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.left {
		if r.closed {
			return ErrRoomClosed
		}
		return ErrLeft
	}
	p.info.Attributes = link.MergeAttributes(p.info.Attributes, attrs) // replaced, never mutated: others hold the old map
	for _, q := range r.members {
		if _, known := q.visible[p.info.Identity]; known && q != p {
			q.visible[p.info.Identity] = p.info
			q.eventLocked(link.Updated, p.info)
		}
	}
	return nil
}

// chargeLocked adds n routed bytes to the send buffer.
func (p *Link) chargeLocked(n int) { p.buffered += n }

// releaseLocked removes n delivered bytes and wakes senders once the buffer
// is down to the low-water mark.
func (p *Link) releaseLocked(n int) {
	p.buffered -= n
	if p.buffered <= p.room.cfg.sendLow && p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
}

// eventLocked queues an event about another participant. Before Attach
// events are not queued: p.visible already reflects them and Attach reports
// its contents.
func (p *Link) eventLocked(kind link.EventKind, info link.Participant) {
	if p.recv == nil || p.left {
		return
	}
	p.pushLocked(item{ev: &link.Event{Kind: kind, Participant: cloneInfo(info)}})
}

// disconnectLocked drops what p has not received yet and queues its last
// item, Disconnected(err). It also wakes p's blocked Sends, which fail.
func (p *Link) disconnectLocked(err error) {
	for _, it := range p.queue {
		if it.fl != nil {
			it.fl.doneLocked()
		}
	}
	p.queue = nil
	p.held = nil
	clear(p.visible)
	if p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
	p.pushLocked(item{disc: true, err: err})
}

func (p *Link) pushLocked(it item) {
	p.queue = append(p.queue, it)
	select {
	case p.queueSig <- struct{}{}:
	default:
	}
}

// deliverLoop hands queued items to recv one at a time, in order, until it
// has handed over the disconnect.
func (p *Link) deliverLoop(recv link.Receiver) {
	r := p.room
	defer r.work.Done()
	for {
		r.mu.Lock()
		if len(p.queue) == 0 {
			r.mu.Unlock()
			<-p.queueSig
			continue
		}
		it := p.queue[0]
		p.queue[0] = item{}
		if len(p.queue) == 1 {
			// Emptied: the next item reuses this slot, so a queue that
			// drains as fast as it fills never allocates.
			p.queue = p.queue[:0]
		} else {
			p.queue = p.queue[1:]
		}
		if it.fl != nil {
			it.fl.doneLocked()
		}
		r.mu.Unlock()
		deliver(recv, it)
		if it.disc {
			return
		}
	}
}

func deliver(recv link.Receiver, it item) {
	switch {
	case it.pkt != nil:
		recv.ReceivePacket(it.pkt)
	case it.ev != nil:
		recv.ParticipantChanged(*it.ev)
	case it.disc:
		recv.Disconnected(it.err)
	}
}

func cloneInfo(info link.Participant) link.Participant {
	info.Attributes = maps.Clone(info.Attributes)
	info.Capabilities = slices.Clone(info.Capabilities)
	return info
}
