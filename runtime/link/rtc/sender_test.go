package rtc

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
	"google.golang.org/protobuf/proto"
)

// fakeChannel is a data channel whose buffered amount the test sets.
type fakeChannel struct {
	mu       sync.Mutex
	buffered uint64
	lowMark  uint64
	onLow    func()
	sent     [][]byte
	sendErr  error
	onSend   func()        // runs at each Send, before it succeeds or fails
	reads    chan struct{} // a token per BufferedAmount call
}

func newFakeChannel() *fakeChannel { return &fakeChannel{reads: make(chan struct{}, 1024)} }

func (f *fakeChannel) Send(data []byte) error {
	if f.onSend != nil {
		f.onSend()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, append([]byte(nil), data...))
	f.buffered += uint64(len(data))
	return nil
}

func (f *fakeChannel) BufferedAmount() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case f.reads <- struct{}{}:
	default:
	}
	return f.buffered
}

func (f *fakeChannel) SetBufferedAmountLowThreshold(th uint64) { f.lowMark = th }
func (f *fakeChannel) OnBufferedAmountLow(fn func())           { f.onLow = fn }

// setBuffered sets the amount and fires the low event when it falls from
// above the threshold to at or below it, as pion does.
func (f *fakeChannel) setBuffered(n uint64) {
	f.mu.Lock()
	fire := f.buffered > f.lowMark && n <= f.lowMark
	f.buffered = n
	f.mu.Unlock()
	if fire {
		f.onLow()
	}
}

func (f *fakeChannel) packets(t *testing.T) []*livekit.DataPacket {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*livekit.DataPacket
	for _, b := range f.sent {
		var p livekit.DataPacket
		if err := proto.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, &p)
	}
	return out
}

func newTestSender(dc *fakeChannel) (s *sender, end func(error)) {
	ended := make(chan struct{})
	var err error
	s = newSender(dc, 100, 40, ended, func() error { return err })
	return s, func(e error) { err = e; close(ended) }
}

func chunk(n int) *livekit.DataPacket {
	return &livekit.DataPacket{Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{Content: make([]byte, n)}}}
}

func ack(id string) *livekit.DataPacket {
	return &livekit.DataPacket{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}}}
}

func TestSenderNumbersPacketsWithoutTouchingThem(t *testing.T) {
	dc := newFakeChannel()
	s, _ := newTestSender(dc)
	if dc.lowMark != 40 || dc.onLow == nil {
		t.Fatalf("low-water mark %d, handler set %v; want 40 and a handler", dc.lowMark, dc.onLow != nil)
	}
	in := []*livekit.DataPacket{ack("a"), ack("b"), {Sequence: 77, Value: ack("c").Value}}
	for _, p := range in {
		if err := s.send(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range dc.packets(t) {
		if p.GetSequence() != uint32(i+1) || p.GetRpcAck().GetRequestId() != in[i].GetRpcAck().GetRequestId() {
			t.Fatalf("packet %d went out as %v", i, p)
		}
	}
	if in[0].Sequence != 0 || in[2].Sequence != 77 {
		t.Fatal("send modified the caller's packets")
	}
}

// Stream data waits at the high-water mark until the buffer falls to the
// low-water mark; control packets go out meanwhile.
func TestSenderHoldsDataAtHighWaterButNotControl(t *testing.T) {
	dc := newFakeChannel()
	s, _ := newTestSender(dc)
	dc.setBuffered(150) // above the high-water mark of 100
	for len(dc.reads) > 0 {
		<-dc.reads
	}

	dataDone := make(chan error, 1)
	go func() { dataDone <- s.send(context.Background(), chunk(10)) }()
	<-dc.reads // the data send has looked at the buffer and found it full

	if err := s.send(context.Background(), ack("urgent")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-dataDone:
		t.Fatalf("data send returned (%v) while the buffer was above the high-water mark", err)
	default:
	}
	if got := dc.packets(t); len(got) != 1 || got[0].GetRpcAck() == nil || got[0].GetSequence() != 1 {
		t.Fatalf("sent %v, want only the ack as #1", got)
	}

	dc.setBuffered(90) // below high but not yet low: no event, keep waiting
	dc.setBuffered(40) // the low event
	if err := <-dataDone; err != nil {
		t.Fatal(err)
	}
	if got := dc.packets(t); len(got) != 2 || got[1].GetStreamChunk() == nil || got[1].GetSequence() != 2 {
		t.Fatalf("sent %v, want the chunk as #2 after the ack", got)
	}
}

func TestSenderWaitEndsWithContextOrLinkEnd(t *testing.T) {
	dc := newFakeChannel()
	s, end := newTestSender(dc)
	dc.setBuffered(500)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.send(ctx, chunk(1)) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("send = %v, want context.Canceled", err)
	}

	// A send waiting for room when the link ends fails as every send after
	// the end does: with link.ErrClosed (the engine's 1503, not 1505) and
	// the reason.
	for len(dc.reads) > 0 {
		<-dc.reads
	}
	go func() { done <- s.send(context.Background(), chunk(1)) }()
	<-dc.reads // it has found no room and waits
	end(ErrSignalLost)
	if err := <-done; !errors.Is(err, link.ErrClosed) || !errors.Is(err, ErrSignalLost) {
		t.Fatalf("send = %v, want link.ErrClosed and the link's end error", err)
	}
	if err := s.send(context.Background(), ack("late")); !errors.Is(err, link.ErrClosed) || !errors.Is(err, ErrSignalLost) {
		t.Fatalf("control send after the end = %v, want link.ErrClosed and the end error", err)
	}
	if n := len(dc.packets(t)); n != 0 {
		t.Fatalf("%d packets went out, want none", n)
	}
}

func TestSenderFailedWriteDoesNotUseASequenceNumber(t *testing.T) {
	dc := newFakeChannel()
	s, _ := newTestSender(dc)
	dc.sendErr = errors.New("boom")
	if err := s.send(context.Background(), ack("x")); err == nil {
		t.Fatal("send succeeded on a failing channel")
	}
	dc.sendErr = nil
	if err := s.send(context.Background(), ack("y")); err != nil {
		t.Fatal(err)
	}
	if got := dc.packets(t); len(got) != 1 || got[0].GetSequence() != 1 {
		t.Fatalf("sent %v, want y as #1", got)
	}
}

// The teardown closes the data channel under a send that has passed its
// checks: the send reports the link's end (link.ErrClosed), not a failure
// of its own.
func TestSenderWriteFailingBecauseTheLinkEndedReportsTheEnd(t *testing.T) {
	dc := newFakeChannel()
	s, end := newTestSender(dc)
	dc.onSend = func() { end(ErrTransportFailed) }
	dc.sendErr = errors.New("data channel closed")
	err := s.send(context.Background(), ack("x"))
	if !errors.Is(err, link.ErrClosed) || !errors.Is(err, ErrTransportFailed) {
		t.Fatalf("send = %v, want link.ErrClosed and the link's end error", err)
	}
}

func TestSenderUnderConcurrentUseKeepsSequenceDense(t *testing.T) {
	dc := newFakeChannel()
	// A high-water mark far above what 200 packets buffer: nobody waits,
	// so this checks numbering under contention alone.
	s := newSender(dc, 1<<30, 1<<20, make(chan struct{}), func() error { return nil })
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := ack("c")
			if i%2 == 0 {
				p = chunk(1)
			}
			if err := s.send(context.Background(), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := make(map[uint32]bool)
	for i, p := range dc.packets(t) {
		if p.GetSequence() != uint32(i+1) || seen[p.GetSequence()] {
			t.Fatalf("packet %d has sequence %d", i, p.GetSequence())
		}
		seen[p.GetSequence()] = true
	}
	if len(seen) != n {
		t.Fatalf("%d packets sent, want %d", len(seen), n)
	}
}
