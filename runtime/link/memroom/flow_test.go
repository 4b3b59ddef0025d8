package memroom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// chunk is a stream chunk of n content bytes.
func chunk(index uint64, n int, dest ...string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: dest,
		Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId: "s", ChunkIndex: index, Content: make([]byte, n),
		}},
	}
}

// watchWaits reports, for each time a Send of p starts or stops waiting, the
// participant's undelivered bytes at that moment (negative when it stops).
func watchWaits(r *Room, p *Link) chan int {
	waits := make(chan int, 64)
	r.mu.Lock()
	r.sendWaitHook = func(q *Link, waiting bool) {
		if q != p {
			return
		}
		if waiting {
			waits <- q.buffered
		} else {
			waits <- -q.buffered
		}
	}
	r.mu.Unlock()
	return waits
}

func TestSlowReceiverBlocksLargeSenderButNotControl(t *testing.T) {
	const high, low = 4000, 1500
	r := newTestRoom(t, WithSendBuffer(high, low))
	a, _ := join(t, r, "alice")
	b, err := r.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := newRecorder()
	bob.gate = make(chan struct{})
	b.Attach(bob)
	waits := watchWaits(r, a)
	var routed []string
	r.Observe(func(d Delivery) { routed = append(routed, marker(d.Packet)) })

	const chunks = 20
	sent := make(chan error, 1)
	go func() {
		for i := range chunks {
			if err := a.Send(context.Background(), chunk(uint64(i), 1000, "bob")); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()

	// The sender stops once more than high bytes wait for bob.
	if buffered := <-waits; buffered <= high {
		t.Fatalf("Send waited with %d bytes buffered, high mark is %d", buffered, high)
	}
	// Control packets pass a blocked buffer: this Send returns while the
	// chunk sender still waits (bob has read nothing, so it cannot resume).
	send(t, a, ack("req", "bob"))
	if len(waits) != 0 {
		t.Fatalf("chunk sender resumed before bob read anything (%d)", <-waits)
	}

	// Let bob read everything; he gets it in routing order, the ack behind
	// the chunks routed before it. The sender resumes only at the low mark.
	var got []string
	for range chunks + 1 {
		bob.gate <- struct{}{}
		got = append(got, marker(bob.nextPacket(t)))
	}
	if err := <-sent; err != nil {
		t.Fatalf("sender: %v", err)
	}
	r.mu.Lock()
	inOrder := slices.Equal(got, routed)
	r.mu.Unlock()
	if !inOrder || got[len(got)-1] == "ack:req" {
		t.Errorf("bob got %v, routed %v: want routing order, the ack behind the chunks routed before it", got, routed)
	}
	for len(waits) > 0 {
		if w := <-waits; w < 0 && -w > low {
			t.Errorf("Send resumed with %d bytes buffered, low mark is %d", -w, low)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.buffered != 0 {
		t.Errorf("%d bytes still charged after everything was delivered", a.buffered)
	}
}

func TestDeliveryKeepsSenderOrderAcrossBackpressure(t *testing.T) {
	r := newTestRoom(t, WithSendBuffer(2000, 500))
	a, _ := join(t, r, "alice")
	_, bob := join(t, r, "bob")
	done := make(chan error, 1)
	go func() {
		for i := range 50 {
			if err := a.Send(context.Background(), chunk(uint64(i), 700, "bob")); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := range 50 {
		got := bob.nextPacket(t).GetStreamChunk().GetChunkIndex()
		if got != uint64(i) {
			t.Fatalf("chunk %d arrived in position %d", got, i)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBlockedSendEndsWithContextOrLeave(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   func(r *Room, a *Link, cancel context.CancelFunc)
		isErr error
	}{
		{"cancel", func(_ *Room, _ *Link, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"close", func(_ *Room, a *Link, _ context.CancelFunc) { _ = a.Close() }, ErrLeft},
		{"remove", func(r *Room, _ *Link, _ context.CancelFunc) { r.Remove("alice", errors.New("x")) }, ErrLeft},
		{"room close", func(r *Room, _ *Link, _ context.CancelFunc) { r.Close() }, ErrRoomClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRoom(t, WithSendBuffer(100, 10))
			a, _ := join(t, r, "alice")
			b, err := r.Join("bob") // never attached: nothing is ever delivered
			if err != nil {
				t.Fatal(err)
			}
			_ = b
			waits := watchWaits(r, a)
			send(t, a, chunk(0, 200, "bob")) // over high: the next one waits
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			res := make(chan error, 1)
			go func() { res <- a.Send(ctx, chunk(1, 10, "bob")) }()
			<-waits
			tc.end(r, a, cancel)
			if err := <-res; !errors.Is(err, tc.isErr) {
				t.Errorf("blocked Send = %v, want %v", err, tc.isErr)
			}
		})
	}
}

func TestHeldPacketsCountUntilAttach(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	b, err := r.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	pkt := user("x", "bob")
	send(t, a, pkt)
	r.mu.Lock()
	charged := a.buffered
	r.mu.Unlock()
	stamped := proto.CloneOf(pkt)
	stamped.ParticipantIdentity, stamped.ParticipantSid = "alice", a.Local().SID
	if charged != proto.Size(stamped) {
		t.Errorf("charged %d bytes for a held packet of %d", charged, proto.Size(stamped))
	}
	bob := newRecorder()
	b.Attach(bob)
	expectMarkers(t, bob, "x")
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.buffered != 0 {
		t.Error(fmt.Sprint("still charged ", a.buffered))
	}
}
