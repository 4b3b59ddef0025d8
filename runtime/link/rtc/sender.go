package rtc

import (
	"context"
	"fmt"
	"sync"

	"github.com/livekit/protocol/livekit"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// sequenceField is DataPacket.sequence's field number (livekit_models.proto).
const sequenceField protowire.Number = 16

// dataChannel is what the sender needs of a pion data channel; tests use a
// fake to check the flow control without a network.
type dataChannel interface {
	Send(data []byte) error
	BufferedAmount() uint64
	SetBufferedAmountLowThreshold(th uint64)
	OnBufferedAmountLow(f func())
}

var _ dataChannel = (*webrtc.DataChannel)(nil)

// sender publishes DataPackets on the reliable channel.
//
// Flow control: a stream packet waits while the channel's buffered amount is
// at or above the high-water mark, and is woken by pion's
// buffered-amount-low event (threshold = the low-water mark). The buffer so
// stays between the marks and never drains to zero between chunks: the
// SFU's SCTP acknowledges with up to 200 ms delay, so waiting for zero before
// each chunk costs seconds per MiB (docs/DESIGN.md, "The real-room link: rtc"). Control packets
// (link.IsControl) never wait: they are small, and an ack or a response
// must not queue behind a large stream.
//
// Sequence numbers (DataPacket.sequence, from 1, as the SDKs number reliable
// packets) are assigned under the same lock as the channel write, so the
// numbers on the wire are in the order the packets went out.
type sender struct {
	dc        dataChannel
	highWater uint64
	ended     <-chan struct{} // closed when the link ends
	endErr    func() error    // why it ended

	writeMu sync.Mutex // orders sequence numbers with channel writes
	seq     uint32

	lowMu sync.Mutex
	low   chan struct{} // closed (and replaced) on each buffered-amount-low event
}

func newSender(dc dataChannel, highWater, lowWater uint64, ended <-chan struct{}, endErr func() error) *sender {
	s := &sender{dc: dc, highWater: highWater, ended: ended, endErr: endErr, low: make(chan struct{})}
	dc.SetBufferedAmountLowThreshold(lowWater)
	dc.OnBufferedAmountLow(s.onLow)
	return s
}

func (s *sender) onLow() {
	s.lowMu.Lock()
	close(s.low)
	s.low = make(chan struct{})
	s.lowMu.Unlock()
}

func (s *sender) lowSignal() <-chan struct{} {
	s.lowMu.Lock()
	defer s.lowMu.Unlock()
	return s.low
}

// send publishes pkt; see link.Link.Send. pkt is not modified: the sequence
// number is appended to the encoded packet (protobuf keeps the last value
// of a repeated scalar field).
func (s *sender) send(ctx context.Context, pkt *livekit.DataPacket) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	data, err := encodePacket(pkt)
	if err != nil {
		return fmt.Errorf("rtc: encode data packet: %w", err)
	}
	if !link.IsControl(pkt) {
		if err := s.waitForRoom(ctx); err != nil {
			return err
		}
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Re-check under the lock: a send must not go out after the link ended
	// or after its caller gave up.
	if err := s.check(ctx); err != nil {
		return err
	}
	s.seq++
	data = protowire.AppendTag(data, sequenceField, protowire.VarintType)
	data = protowire.AppendVarint(data, uint64(s.seq))
	if err := s.dc.Send(data); err != nil {
		s.seq-- // nothing went out under this number
		if s.isEnded() {
			// The teardown closed the channel under us: the link's end,
			// not a failure of this send.
			return s.closedErr()
		}
		return fmt.Errorf("rtc: send on data channel: %w", err)
	}
	return nil
}

func (s *sender) check(ctx context.Context) error {
	if s.isEnded() {
		return s.closedErr()
	}
	return ctx.Err()
}

func (s *sender) isEnded() bool {
	select {
	case <-s.ended:
		return true
	default:
		return false
	}
}

// closedErr is what every send fails with once the link has ended: it
// wraps link.ErrClosed, so the engine tells the loss of the link (1503)
// from a failed send (1505), and the reason the link ended.
func (s *sender) closedErr() error { return fmt.Errorf("%w: %w", link.ErrClosed, s.endErr()) }

// waitForRoom blocks while the channel holds highWater bytes or more.
func (s *sender) waitForRoom(ctx context.Context) error {
	for {
		// Take the signal before reading the amount: an event that fires in
		// between then closes this very channel and is not missed.
		low := s.lowSignal()
		if s.dc.BufferedAmount() < s.highWater {
			return nil
		}
		select {
		case <-low:
		case <-s.ended:
			return s.closedErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
