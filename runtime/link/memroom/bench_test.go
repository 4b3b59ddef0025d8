package memroom

import (
	"context"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// countingReceiver counts packets and signals when it has seen want.
type countingReceiver struct {
	n, want int
	done    chan struct{}
}

func (c *countingReceiver) ReceivePacket(*livekit.DataPacket) {
	c.n++
	if c.n == c.want {
		close(c.done)
	}
}
func (c *countingReceiver) ParticipantChanged(link.Event) {}
func (c *countingReceiver) Disconnected(error)            {}

// BenchmarkSendChunk routes 15000-byte stream chunks from one participant to
// another through the default send buffer: the room's cost per chunk.
func BenchmarkSendChunk(b *testing.B) {
	r, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	a, err := r.Join("alice")
	if err != nil {
		b.Fatal(err)
	}
	bob, err := r.Join("bob")
	if err != nil {
		b.Fatal(err)
	}
	rec := &countingReceiver{want: b.N, done: make(chan struct{})}
	bob.Attach(rec)
	pkt := chunk(0, 15000, "bob")
	b.SetBytes(15000)
	b.ResetTimer()
	for range b.N {
		if err := a.Send(context.Background(), pkt); err != nil {
			b.Fatal(err)
		}
	}
	<-rec.done
}
