package rtc_test

import (
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// recorder is a link.Receiver that hands everything to channels, so tests
// wait on what arrives instead of sleeping.
type recorder struct {
	packets      chan *livekit.DataPacket
	events       chan link.Event
	disconnected chan error
}

func newRecorder() *recorder {
	return &recorder{
		packets:      make(chan *livekit.DataPacket, 4096),
		events:       make(chan link.Event, 256),
		disconnected: make(chan error, 1),
	}
}

func (r *recorder) ReceivePacket(pkt *livekit.DataPacket) { r.packets <- pkt }
func (r *recorder) ParticipantChanged(ev link.Event)      { r.events <- ev }
func (r *recorder) Disconnected(err error)                { r.disconnected <- err }

func (r *recorder) nextPacket(t *testing.T, within time.Duration) *livekit.DataPacket {
	t.Helper()
	select {
	case p := <-r.packets:
		return p
	case <-time.After(within):
		t.Fatalf("no data packet within %v", within)
		return nil
	}
}

// nextEvent returns the next participant event matching kind and identity,
// skipping others.
func (r *recorder) nextEvent(t *testing.T, kind link.EventKind, identity string, within time.Duration) link.Event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-r.events:
			if ev.Kind == kind && ev.Participant.Identity == identity {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event for %q within %v", kind, identity, within)
			return link.Event{}
		}
	}
}

func (r *recorder) waitDisconnected(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-r.disconnected:
		return err
	case <-time.After(within):
		t.Fatalf("no Disconnected within %v", within)
		return nil
	}
}
