package memroom

import (
	"context"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// waitLimit bounds every wait on a channel, so a broken room fails a test
// instead of hanging it. It is never used to let something happen.
const waitLimit = 10 * time.Second

// recorder is a Receiver that queues everything it gets on channels.
type recorder struct {
	packets chan *livekit.DataPacket
	events  chan link.Event
	disc    chan error
	// gate, when set, is received from before each packet is recorded,
	// modelling a slow receiver.
	gate chan struct{}
}

func newRecorder() *recorder {
	return &recorder{
		packets: make(chan *livekit.DataPacket, 1024),
		events:  make(chan link.Event, 1024),
		disc:    make(chan error, 1),
	}
}

func (r *recorder) ReceivePacket(pkt *livekit.DataPacket) {
	if r.gate != nil {
		<-r.gate
	}
	r.packets <- pkt
}
func (r *recorder) ParticipantChanged(ev link.Event) { r.events <- ev }
func (r *recorder) Disconnected(err error)           { r.disc <- err }

func (r *recorder) nextPacket(t *testing.T) *livekit.DataPacket {
	t.Helper()
	select {
	case p := <-r.packets:
		return p
	case <-time.After(waitLimit):
		t.Fatal("no packet arrived")
		return nil
	}
}

func (r *recorder) nextEvent(t *testing.T) link.Event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(waitLimit):
		t.Fatal("no event arrived")
		return link.Event{}
	}
}

func (r *recorder) disconnected(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.disc:
		return err
	case <-time.After(waitLimit):
		t.Fatal("no Disconnected")
		return nil
	}
}

// newTestRoom makes a room that is closed, and checked for leftover
// goroutines, when the test ends.
func newTestRoom(t *testing.T, opts ...Option) *Room {
	t.Helper()
	before := goleak.IgnoreCurrent()
	r, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		leakcheck.Verify(t, 500*time.Millisecond, before)
	})
	return r
}

// join adds an attached participant with a recorder.
func join(t *testing.T, r *Room, identity string, opts ...JoinOption) (*Link, *recorder) {
	t.Helper()
	p, err := r.Join(identity, opts...)
	if err != nil {
		t.Fatalf("Join(%q): %v", identity, err)
	}
	rec := newRecorder()
	p.Attach(rec)
	return p, rec
}

func send(t *testing.T, p *Link, pkt *livekit.DataPacket) {
	t.Helper()
	if err := p.Send(context.Background(), pkt); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

// user is a plain data packet carrying a marker, to tell packets apart.
func user(marker string, dest ...string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: dest,
		Value:                 &livekit.DataPacket_User{User: &livekit.UserPacket{Payload: []byte(marker)}},
	}
}

func marker(pkt *livekit.DataPacket) string {
	switch v := pkt.Value.(type) {
	case *livekit.DataPacket_User:
		return string(v.User.GetPayload())
	case *livekit.DataPacket_RpcAck:
		return "ack:" + v.RpcAck.GetRequestId()
	case *livekit.DataPacket_StreamHeader:
		return "header"
	case *livekit.DataPacket_StreamChunk:
		return "chunk" + string(rune('0'+v.StreamChunk.GetChunkIndex()))
	case *livekit.DataPacket_StreamTrailer:
		return "trailer"
	}
	return "?"
}

func ack(id string, dest ...string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: dest,
		Value:                 &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}},
	}
}

// expectMarkers reads len(want) packets and compares their markers.
func expectMarkers(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := marker(rec.nextPacket(t)); got != w {
			t.Fatalf("packet %d = %q, want %q", i, got, w)
		}
	}
}

func contextCancelled(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx, cancel
}
