package conformance_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// packetLog keeps every delivery the room routed, in routing order.
type packetLog struct {
	mu      sync.Mutex
	ds      []memroom.Delivery
	changed chan struct{} // closed and replaced on every add
}

func newPacketLog() *packetLog { return &packetLog{changed: make(chan struct{})} }

func (l *packetLog) add(d memroom.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ds = append(l.ds, d)
	close(l.changed)
	l.changed = make(chan struct{})
}

// all returns the deliveries so far.
func (l *packetLog) all() []memroom.Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ds)
}

// where returns the deliveries so far for which pred holds.
func (l *packetLog) where(pred func(memroom.Delivery) bool) []memroom.Delivery {
	var out []memroom.Delivery
	for _, d := range l.all() {
		if pred(d) {
			out = append(out, d)
		}
	}
	return out
}

// waitFor returns the first delivery for which pred holds, waiting for it.
func (l *packetLog) waitFor(t *testing.T, what string, pred func(memroom.Delivery) bool) memroom.Delivery {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		l.mu.Lock()
		for _, d := range l.ds {
			if pred(d) {
				l.mu.Unlock()
				return d
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("never routed: %s\nrouted:\n%s", what, describe(l.all()))
		}
	}
}

// waitN waits until n deliveries satisfy pred and returns them.
func (l *packetLog) waitN(t *testing.T, n int, what string, pred func(memroom.Delivery) bool) []memroom.Delivery {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		l.mu.Lock()
		changed := l.changed // taken before the scan, so no add is missed
		l.mu.Unlock()
		var seen []memroom.Delivery
		for _, d := range l.all() {
			if pred(d) {
				seen = append(seen, d)
			}
		}
		if len(seen) >= n {
			return seen
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("routed %d of %d × %s\nrouted:\n%s", len(seen), n, what, describe(l.all()))
		}
	}
}

// Predicates over deliveries. They run under the log's lock: they must not
// call the log.
func from(id string) func(memroom.Delivery) bool {
	return func(d memroom.Delivery) bool { return d.From == id }
}

func kind[T any](d memroom.Delivery) bool { return memroom.IsKind[T](d) }

func and(ps ...func(memroom.Delivery) bool) func(memroom.Delivery) bool {
	return func(d memroom.Delivery) bool {
		for _, p := range ps {
			if !p(d) {
				return false
			}
		}
		return true
	}
}

func topic(name string) func(memroom.Delivery) bool {
	return func(d memroom.Delivery) bool { return d.Packet.GetStreamHeader().GetTopic() == name }
}

// Shorthands for packet kinds.
type (
	lkErr      = livekit.RpcError
	reqPkt     = *livekit.DataPacket_RpcRequest
	ackPkt     = *livekit.DataPacket_RpcAck
	respPkt    = *livekit.DataPacket_RpcResponse
	headerPkt  = *livekit.DataPacket_StreamHeader
	chunkPkt   = *livekit.DataPacket_StreamChunk
	trailerPkt = *livekit.DataPacket_StreamTrailer
)

// describe renders deliveries one a line, for failure messages.
func describe(ds []memroom.Delivery) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.From + " → " + strings.Join(d.To, ",") + ": " + summary(d.Packet) + "\n")
	}
	return b.String()
}

func summary(p *livekit.DataPacket) string {
	switch v := p.Value.(type) {
	case reqPkt:
		return "rpc_request " + v.RpcRequest.GetMethod()
	case ackPkt:
		return "rpc_ack"
	case respPkt:
		if e := v.RpcResponse.GetError(); e != nil {
			return "rpc_response error " + e.String()
		}
		return "rpc_response payload"
	case headerPkt:
		h := v.StreamHeader
		s := "stream_header " + h.GetTopic()
		if h.InlineContent != nil {
			s += " inline"
		}
		if h.GetCompression() != livekit.DataStream_NONE {
			s += " compressed"
		}
		return s
	case chunkPkt:
		return "stream_chunk"
	case trailerPkt:
		return "stream_trailer " + v.StreamTrailer.GetReason()
	}
	return "other"
}
