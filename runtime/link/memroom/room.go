package memroom

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Errors returned by the room and its participants.
var (
	// ErrRoomClosed: the room was closed.
	ErrRoomClosed = fmt.Errorf("memroom: room closed: %w", link.ErrClosed)
	// ErrLeft: the participant has left the room (Close or Room.Remove).
	ErrLeft = fmt.Errorf("memroom: participant has left the room: %w", link.ErrClosed)
	// ErrDuplicateIdentity: a participant with that identity is already in the room.
	ErrDuplicateIdentity = errors.New("memroom: identity already in the room")
)

// Room is an in-process LiveKit room. Its zero value is not usable; call New.
// All methods are safe for concurrent use.
type Room struct {
	cfg roomConfig

	// mu guards everything below and every Participant's mutable state; one
	// lock keeps routing, joins and leaves atomic with respect to each other.
	mu        sync.Mutex
	closed    bool
	members   []*Link // in join order
	byID      map[string]*Link
	joins     uint64 // participants ever joined, for sids
	seq       uint64 // packets ever routed
	observers []*observer
	fault     FaultFunc
	timers    map[*time.Timer]struct{}

	// sendWaitHook, when set by a test, is called with r.mu held each time
	// a Send starts (true) or stops (false) waiting for the buffer to drain.
	sendWaitHook func(p *Link, waiting bool)

	// work counts delivery goroutines and scheduled timers, so Close can
	// wait until nothing of the room runs any more.
	work sync.WaitGroup
}

// Delivery is one packet as the room routed it.
type Delivery struct {
	From   string              // sender identity
	To     []string            // recipients, in join order; empty when nobody matched
	Packet *livekit.DataPacket // a clone of the packet after SFU stamping; read only
	Seq    uint64              // routing order within the room, from 1
	Fault  Fault               // what the fault function decided for it
}

type observer struct{ fn func(Delivery) }

// New makes an empty room. An option given a value it cannot use is an
// error naming the option, as in every lkrpc package.
func New(opts ...Option) (*Room, error) {
	cfg := defaultRoomConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	return &Room{cfg: cfg, byID: map[string]*Link{}, timers: map[*time.Timer]struct{}{}}, nil
}

// Join adds a participant. By default it advertises link.DefaultClientProtocol
// and link.DefaultCapabilities(); it learns of everyone present at once,
// while the others learn of it after the room's announce delay. The returned
// Participant is its link.Link; packets and events are held until Attach.
func (r *Room) Join(identity string, opts ...JoinOption) (*Link, error) {
	if identity == "" {
		return nil, errors.New("memroom: empty identity")
	}
	info := link.Participant{
		Identity:       identity,
		Kind:           livekit.ParticipantInfo_STANDARD,
		ClientProtocol: link.DefaultClientProtocol,
		Capabilities:   link.DefaultCapabilities(),
	}
	for _, o := range opts {
		o(&info)
	}
	if info.ClientProtocol < link.ProtocolV1 {
		// Protocols above 2 are allowed: a room may hold newer clients.
		return nil, fmt.Errorf("memroom: join %s: negative client protocol %d", identity, info.ClientProtocol)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrRoomClosed
	}
	if _, dup := r.byID[identity]; dup {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateIdentity, identity)
	}
	r.joins++
	info.SID = fmt.Sprintf("PA_mem%d", r.joins)
	p := newParticipant(r, info, r.joins)
	for _, q := range r.members {
		p.visible[q.info.Identity] = q.info
	}
	r.members = append(r.members, p)
	r.byID[identity] = p

	if r.cfg.announceDelay == 0 {
		r.announceLocked(p)
	} else {
		p.announce = r.afterLocked(r.cfg.announceDelay, func() {
			p.announce = nil
			if !p.left {
				r.announceLocked(p)
			}
		})
	}
	return p, nil
}

// Announce tells the others about identity now, rather than when the
// room's announce delay (WithAnnounceDelay) runs out: tests use it with a
// long delay to choose the moment the join window closes. It does nothing
// for an identity not in the room or already announced.
func (r *Room) Announce(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.byID[identity]
	if p == nil || p.announce == nil {
		return
	}
	r.stopLocked(p.announce)
	p.announce = nil
	r.announceLocked(p)
}

// announceLocked tells everyone who does not know p yet that it joined.
func (r *Room) announceLocked(p *Link) {
	for _, q := range r.members {
		if q == p {
			continue
		}
		if _, known := q.visible[p.info.Identity]; !known {
			q.visible[p.info.Identity] = p.info
			q.eventLocked(link.Joined, p.info)
		}
	}
}

// Remove makes a participant vanish, as when the server removes it or its
// connection dies: the others see it leave and its own link reports
// Disconnected(reason). Unknown identities are ignored.
func (r *Room) Remove(identity string, reason error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.byID[identity]; p != nil {
		r.leaveLocked(p, reason)
	}
}

// leaveLocked takes p out of the room and queues its Disconnected(reason).
func (r *Room) leaveLocked(p *Link, reason error) {
	if p.left {
		return
	}
	p.left = true
	delete(r.byID, p.info.Identity)
	r.members = slices.DeleteFunc(r.members, func(q *Link) bool { return q == p })
	r.stopLocked(p.announce)
	p.announce = nil
	for _, q := range r.members {
		if _, known := q.visible[p.info.Identity]; known {
			delete(q.visible, p.info.Identity)
			q.eventLocked(link.Left, p.info)
		}
	}
	p.disconnectLocked(reason)
}

// Observe calls fn for every packet the room routes, in routing order, after
// SFU stamping and with the fault decided for it. fn runs while the room
// routes the packet, before any recipient can see it; it must not call back
// into the Room or its participants. stop ends the observation.
func (r *Room) Observe(fn func(Delivery)) (stop func()) {
	o := &observer{fn: fn}
	r.mu.Lock()
	r.observers = append(r.observers, o)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.observers = slices.DeleteFunc(r.observers, func(x *observer) bool { return x == o })
		r.mu.Unlock()
	}
}

// SetFault sets the function that decides a fault for each routed packet;
// nil clears it.
func (r *Room) SetFault(fn FaultFunc) {
	r.mu.Lock()
	r.fault = fn
	r.mu.Unlock()
}

// Close disconnects every participant (their links report
// Disconnected(ErrRoomClosed)) and waits until the room's goroutines have
// ended. It must not be called from a Receiver callback.
func (r *Room) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		for _, p := range r.members {
			p.left = true
			p.disconnectLocked(ErrRoomClosed)
		}
		r.members = nil
		clear(r.byID)
		for t := range r.timers {
			r.stopLocked(t)
		}
	}
	r.mu.Unlock()
	r.work.Wait()
}

// afterLocked runs fn with r.mu held after d, unless the room closes first.
func (r *Room) afterLocked(d time.Duration, fn func()) *time.Timer {
	r.work.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer r.work.Done()
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, pending := r.timers[t]; !pending {
			return // stopped after it had already fired
		}
		delete(r.timers, t)
		if !r.closed {
			fn()
		}
	})
	r.timers[t] = struct{}{}
	return t
}

// stopLocked cancels a timer from afterLocked; nil is ignored.
func (r *Room) stopLocked(t *time.Timer) {
	if t == nil {
		return
	}
	if _, pending := r.timers[t]; !pending {
		return
	}
	delete(r.timers, t)
	if t.Stop() {
		r.work.Done()
	}
}
