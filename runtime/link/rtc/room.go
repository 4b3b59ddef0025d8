package rtc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// The link.Link methods the engine uses, and what tests and tools add to
// them (WaitParticipant, DroppedPackets).

// Local describes the local participant with the client protocol and
// capabilities it advertised.
func (l *Link) Local() link.Participant {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.local
	p.Attributes = maps.Clone(p.Attributes)
	p.Capabilities = slices.Clone(p.Capabilities)
	return p
}

// Participant returns a remote participant currently in the room.
func (l *Link) Participant(identity string) (link.Participant, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.participants == nil {
		return link.Participant{}, false
	}
	return l.participants.lookup(identity)
}

// WaitParticipant waits until identity is in the room and returns it. A
// participant that publishes nothing is announced to earlier participants
// up to ~3 s after it joins (the server batches those updates).
func (l *Link) WaitParticipant(ctx context.Context, identity string) (link.Participant, error) {
	for {
		l.mu.Lock()
		changed := l.changed
		var (
			p  link.Participant
			ok bool
		)
		if l.participants != nil {
			p, ok = l.participants.lookup(identity)
		}
		l.mu.Unlock()
		if ok {
			return p, nil
		}
		select {
		case <-changed:
		case <-l.ended:
			return link.Participant{}, l.endErr
		case <-ctx.Done():
			return link.Participant{}, fmt.Errorf("rtc: waiting for participant %q: %w", identity, ctx.Err())
		}
	}
}

// Attach sets the receiver: first every participant present is reported as
// Joined, then what arrived before Attach is delivered. If the link has
// already ended, r.Disconnected is called at once, on the caller's goroutine.
// A second Attach panics: a link has one receiver.
func (l *Link) Attach(r link.Receiver) {
	l.mu.Lock()
	var present []link.Participant
	if l.participants != nil {
		present = l.participants.all()
	}
	err, late := l.in.attach(r, present)
	l.mu.Unlock()
	if late {
		r.Disconnected(err)
	}
}

// Send publishes pkt on the reliable channel; see link.Link.Send. pkt is
// not modified (its sequence number is added to the encoded copy).
func (l *Link) Send(ctx context.Context, pkt *livekit.DataPacket) error {
	if pkt == nil {
		return errors.New("rtc: Send of a nil packet")
	}
	s := l.current()
	if s == nil || !s.ready.Load() {
		if l.isEnded() {
			return fmt.Errorf("%w: %w", link.ErrClosed, l.endErr)
		}
		// A rejoin is under way: the engine fails this call with 1503, as
		// it did the calls in flight when the session was dropped.
		return fmt.Errorf("%w: %w", link.ErrClosed, ErrReconnecting)
	}
	return s.out.send(ctx, pkt)
}

// DroppedPackets counts received packets dropped because the receive queue
// was full (see WithMaxQueuedBytes).
func (l *Link) DroppedPackets() int { return l.in.droppedPackets() }
