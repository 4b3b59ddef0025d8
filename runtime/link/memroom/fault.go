package memroom

import (
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"
)

// Fault says what the room does to one routed packet instead of delivering
// it normally. The zero Fault delivers normally. A fault applies to every
// recipient of the packet alike.
type Fault struct {
	// Drop loses the packet for every recipient.
	Drop bool
	// Delay hands the packet to the recipients this much later; packets
	// the sender sends meanwhile are not held back, so a delay also reorders.
	Delay time.Duration
	// Duplicate delivers this many extra copies right after the packet.
	Duplicate int
	// HoldUntilNext delivers the packet right after the same sender's next
	// routed packet (a reorder by one). If the sender never sends again the
	// packet is lost when it leaves.
	HoldUntilNext bool
}

// FaultFunc decides the fault for one routed packet. It is called while the
// room routes the packet, one packet at a time, in routing order; it must
// not modify d.Packet nor call back into the Room or its participants.
type FaultFunc func(d Delivery) Fault

// DropWhere drops every packet for which pred is true.
func DropWhere(pred func(Delivery) bool) FaultFunc {
	return func(d Delivery) Fault { return Fault{Drop: pred(d)} }
}

// DropKind drops every packet whose value is of type T, for example
// DropKind[*livekit.DataPacket_RpcAck]().
func DropKind[T any]() FaultFunc {
	return DropWhere(IsKind[T])
}

// IsKind reports whether the routed packet's value is of type T.
func IsKind[T any](d Delivery) bool {
	_, ok := d.Packet.Value.(T)
	return ok
}

// DelayWhere delays by delay every packet for which pred is true.
func DelayWhere(pred func(Delivery) bool, delay time.Duration) FaultFunc {
	return func(d Delivery) Fault {
		if pred(d) {
			return Fault{Delay: delay}
		}
		return Fault{}
	}
}

// DuplicateWhere delivers every packet for which pred is true twice.
func DuplicateWhere(pred func(Delivery) bool) FaultFunc {
	return func(d Delivery) Fault {
		if pred(d) {
			return Fault{Duplicate: 1}
		}
		return Fault{}
	}
}

// ReorderWhere delivers every packet for which pred is true after its
// sender's next packet.
func ReorderWhere(pred func(Delivery) bool) FaultFunc {
	return func(d Delivery) Fault { return Fault{HoldUntilNext: pred(d)} }
}

// CutStream drops everything of data stream streamID after its first
// afterChunks chunks: the later chunks and the trailer. The header and the
// first afterChunks chunks go through, so the receiver sees a stream that
// stops. An empty streamID cuts every stream.
func CutStream(streamID string, afterChunks uint64) FaultFunc {
	return DropWhere(func(d Delivery) bool {
		switch v := d.Packet.Value.(type) {
		case *livekit.DataPacket_StreamChunk:
			return matchStream(streamID, v.StreamChunk.GetStreamId()) && v.StreamChunk.GetChunkIndex() >= afterChunks
		case *livekit.DataPacket_StreamTrailer:
			return matchStream(streamID, v.StreamTrailer.GetStreamId())
		}
		return false
	})
}

func matchStream(want, got string) bool { return want == "" || want == got }

// Once applies f until it first returns a non-zero Fault, and then never
// again: "drop the first ack" is Once(DropKind[*livekit.DataPacket_RpcAck]()).
func Once(f FaultFunc) FaultFunc {
	var mu sync.Mutex
	done := false
	return func(d Delivery) Fault {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return Fault{}
		}
		flt := f(d)
		done = flt != Fault{}
		return flt
	}
}

// Chain applies the first of fs that returns a non-zero Fault.
func Chain(fs ...FaultFunc) FaultFunc {
	return func(d Delivery) Fault {
		for _, f := range fs {
			if flt := f(d); flt != (Fault{}) {
				return flt
			}
		}
		return Fault{}
	}
}
