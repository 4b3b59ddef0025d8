package rtc

import (
	"sync"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// inbox hands what the link receives (packets from pion's callbacks,
// participant events from the signal reader) to the receiver on one
// delivery goroutine, in arrival order. Producers never wait for the
// receiver: pion's OnMessage must not block, or the whole peer connection
// stalls.
//
// Until Attach the inbox holds packets (participant events are not held:
// Attach reports the participants present at that moment instead). The
// bytes queued are limited (Options.MaxQueuedBytes); a packet that would
// exceed the limit is dropped and counted, because blocking pion is worse:
// the engine then fails the affected call or stream by its own timers.
type inbox struct {
	limit int

	mu       sync.Mutex
	wake     chan struct{} // capacity 1: "something changed"
	items    []inboxItem
	queued   int // bytes of queued packets
	dropped  int // packets dropped because the queue was full
	receiver link.Receiver
	closed   bool
	closeErr error
	gaveUp   bool          // closed before Attach: the goroutine exited unattached
	done     chan struct{} // closed when the delivery goroutine has exited
}

// inboxItem is one thing to deliver: a packet or a participant event.
type inboxItem struct {
	packet *livekit.DataPacket
	size   int
	event  link.Event
}

func newInbox(limit int) *inbox {
	in := &inbox{limit: limit, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go in.run()
	return in
}

func (in *inbox) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// pushPacket queues pkt (size bytes on the wire); false if it was dropped.
func (in *inbox) pushPacket(pkt *livekit.DataPacket, size int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	if in.queued+size > in.limit {
		in.dropped++
		return false
	}
	in.queued += size
	in.items = append(in.items, inboxItem{packet: pkt, size: size})
	in.signal()
	return true
}

// pushEvents queues participant events; before Attach they are discarded
// (Attach reports the participants present then). The caller holds the lock
// that orders participant changes, so this and attach see one history.
func (in *inbox) pushEvents(events []link.Event) {
	if len(events) == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed || in.receiver == nil {
		return
	}
	for _, ev := range events {
		in.items = append(in.items, inboxItem{event: ev})
	}
	in.signal()
}

// attach sets the receiver and puts present (reported as Joined) ahead of
// everything held. If the link closed before anyone attached, the delivery
// goroutine is gone: attach returns late=true and the close error, and the
// caller reports Disconnected itself.
func (in *inbox) attach(r link.Receiver, present []link.Participant) (closeErr error, late bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.receiver != nil {
		panic("rtc: Link.Attach called twice")
	}
	in.receiver = r
	if in.gaveUp {
		return in.closeErr, true
	}
	joined := make([]inboxItem, 0, len(present)+len(in.items))
	for _, p := range present {
		joined = append(joined, inboxItem{event: link.Event{Kind: link.Joined, Participant: p}})
	}
	in.items = append(joined, in.items...)
	in.signal()
	return nil, false
}

// close ends delivery: what is queued is still delivered to an attached
// receiver, then Disconnected(err). Only the first call counts.
func (in *inbox) close(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return
	}
	in.closed, in.closeErr = true, err
	in.signal()
}

func (in *inbox) droppedPackets() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.dropped
}

func (in *inbox) run() {
	defer close(in.done)
	for {
		<-in.wake
		in.mu.Lock()
		r := in.receiver
		if r == nil {
			in.gaveUp = in.closed // never attached: nobody to tell
			in.mu.Unlock()
			if in.gaveUp {
				return
			}
			continue
		}
		batch := in.items
		in.items = nil
		closed, err := in.closed, in.closeErr
		in.mu.Unlock()

		for _, it := range batch {
			if it.packet != nil {
				r.ReceivePacket(it.packet)
				in.mu.Lock()
				in.queued -= it.size
				in.mu.Unlock()
			} else {
				r.ParticipantChanged(it.event)
			}
		}
		if closed {
			in.mu.Lock()
			more := len(in.items) > 0
			in.mu.Unlock()
			if !more {
				r.Disconnected(err)
				return
			}
			in.signal()
		}
	}
}
