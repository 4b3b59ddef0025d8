package faults_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// scripted is a participant without an engine: the test sends exactly the
// packets it wants (malformed ones included) and reads what arrives.
type scripted struct {
	identity string
	link     *memroom.Link

	mu     sync.Mutex
	got    []*livekit.DataPacket
	read   int           // packets next has consumed
	notify chan struct{} // signalled (without blocking) on each arrival

	// gate, when set before packets arrive, holds every arrival until it
	// is closed: a receiver that stops reading, so its senders meet
	// backpressure.
	gate chan struct{}
}

func (v *env) scripted(identity string, join ...memroom.JoinOption) *scripted {
	v.t.Helper()
	l, err := v.room.Join(identity, join...)
	if err != nil {
		v.t.Fatal(err)
	}
	s := &scripted{identity: identity, link: l, notify: make(chan struct{}, 1)}
	l.Attach(s)
	return s
}

func (s *scripted) ReceivePacket(pkt *livekit.DataPacket) {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	s.got = append(s.got, pkt)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *scripted) ParticipantChanged(link.Event) {}
func (s *scripted) Disconnected(error)            {}

// send publishes pkts in order.
func (s *scripted) send(t *testing.T, pkts ...*livekit.DataPacket) {
	t.Helper()
	for _, p := range pkts {
		if err := s.link.Send(context.Background(), p); err != nil {
			t.Fatalf("%s: send: %v", s.identity, err)
		}
	}
}

// next returns the next packet that arrives matching match (others are
// skipped), failing the test after bound.
func (s *scripted) next(t *testing.T, bound time.Duration, what string, match func(*livekit.DataPacket) bool) *livekit.DataPacket {
	t.Helper()
	timeout := time.After(bound)
	for {
		s.mu.Lock()
		for s.read < len(s.got) {
			p := s.got[s.read]
			s.read++
			if match(p) {
				s.mu.Unlock()
				return p
			}
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-timeout:
			t.Fatalf("%s: no %s within %v", s.identity, what, bound)
			return nil
		}
	}
}

// count returns how many packets matching match have arrived so far.
func (s *scripted) count(match func(*livekit.DataPacket) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.got {
		if match(p) {
			n++
		}
	}
	return n
}

// flush waits until every packet from sends before it has reached s: the
// room keeps each sender's order, so once a marker from from arrives,
// everything from sent earlier has too.
func (s *scripted) flush(t *testing.T, from *memroom.Link) {
	t.Helper()
	marker := "flush-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	err := from.Send(context.Background(), &livekit.DataPacket{
		DestinationIdentities: []string{s.identity},
		Value:                 &livekit.DataPacket_User{User: &livekit.UserPacket{Topic: &marker}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.next(t, promptBound, "flush marker", func(p *livekit.DataPacket) bool {
		u, ok := p.Value.(*livekit.DataPacket_User)
		return ok && u.User.GetTopic() == marker
	})
}

// Packet matchers.

func ackFor(id string) func(*livekit.DataPacket) bool {
	return func(p *livekit.DataPacket) bool {
		a, ok := p.Value.(*livekit.DataPacket_RpcAck)
		return ok && a.RpcAck.GetRequestId() == id
	}
}

func responseFor(id string) func(*livekit.DataPacket) bool {
	return func(p *livekit.DataPacket) bool {
		r, ok := p.Value.(*livekit.DataPacket_RpcResponse)
		return ok && r.RpcResponse.GetRequestId() == id
	}
}

// requestHeader matches the header of an lk.rpc_request stream.
func requestHeader(p *livekit.DataPacket) bool {
	h, ok := p.Value.(*livekit.DataPacket_StreamHeader)
	return ok && h.StreamHeader.GetTopic() == engine.TopicRequest
}

// Packet builders for scripted streams.

func header(dest, streamID, topic string, attrs map[string]string, total *uint64) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
			StreamId:    streamID,
			Timestamp:   time.Now().UnixMilli(),
			Topic:       topic,
			MimeType:    "text/plain",
			TotalLength: total,
			Attributes:  attrs,
			ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{
				OperationType: livekit.DataStream_CREATE,
			}},
		}},
	}
}

func chunk(dest, streamID string, index uint64, content []byte) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId: streamID, ChunkIndex: index, Content: content,
		}},
	}
}

func trailer(dest, streamID, reason string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: []string{dest},
		Value:                 &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: streamID, Reason: reason}},
	}
}

func ack(dest, id string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: []string{dest},
		Value:                 &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}},
	}
}

func requestAttrs(id, method string) map[string]string {
	return map[string]string{
		engine.AttrRequestID:       id,
		engine.AttrRequestMethod:   method,
		engine.AttrResponseTimeout: "5000",
		engine.AttrRequestVersion:  "2",
	}
}

// streamPackets is a whole stream: header, content cut in chunks of at
// most size bytes, and a trailer with reason. total is the header's
// total_length (nil: absent).
func streamPackets(dest, streamID, topic string, attrs map[string]string, total *uint64, content []byte, size int, reason string) []*livekit.DataPacket {
	pkts := []*livekit.DataPacket{header(dest, streamID, topic, attrs, total)}
	for i := 0; len(content) > 0; i++ {
		n := min(size, len(content))
		pkts = append(pkts, chunk(dest, streamID, uint64(i), content[:n]))
		content = content[n:]
	}
	return append(pkts, trailer(dest, streamID, reason))
}

func lengthOf(n int) *uint64 {
	u := uint64(n)
	return &u
}

// errorOf returns the RpcError of a response packet, or nil.
func errorOf(p *livekit.DataPacket) *livekit.RpcError {
	return p.GetRpcResponse().GetError()
}
