package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The learned-protocol floor's lifetime (PROTOCOL.md §7; the memroom
// scenarios are in runtime/conformance/joinwindow_test.go). bob serves on
// an unwired link; "newcomer" is a caller the room never announces.

// answerOf returns the first packet bob sent about request id after its ack.
func answerOf(t *testing.T, l *fakeLink, id string) (stream bool, rpcErr *rpcerr.Error) {
	t.Helper()
	for {
		pkt := l.next(t)
		switch {
		case pkt.GetRpcAck() != nil:
			continue
		case pkt.GetStreamHeader() != nil:
			if pkt.GetStreamHeader().GetAttributes()[engine.AttrRequestID] != id {
				t.Fatalf("stream for %v, want %s", pkt.GetStreamHeader().GetAttributes(), id)
			}
			return true, nil
		case pkt.GetRpcResponse() != nil:
			r := pkt.GetRpcResponse()
			if r.GetRequestId() != id {
				t.Fatalf("response for %s, want %s", r.GetRequestId(), id)
			}
			if e := r.GetError(); e != nil {
				return false, &rpcerr.Error{Code: int(e.GetCode()), Message: e.GetMessage(), Data: e.GetData()}
			}
			return false, nil
		}
	}
}

func TestLearnedProtocolServesV1RequestsUntilTheCallerLeaves(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	big := strings.Repeat("z", engine.MaxPacketPayload+1)
	register(t, e, "big", func(context.Context, *transport.Request) (string, error) { return big, nil })

	// An RPC v2 request proves ≥ 1: its reply is a plain stream.
	for _, pkt := range streamPackets(t, "newcomer", datastream.Outgoing{
		StreamID: "s1", Topic: engine.TopicRequest, Destinations: []string{"bob"},
		Attributes: requestStreamAttrs("r1", "big", 10000, "2"), Text: "hi",
	}, datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	if stream, err := answerOf(t, l, "r1"); !stream || err != nil {
		t.Fatalf("reply to a v2 request from an unannounced caller: stream=%v err=%v, want a stream", stream, err)
	}
	drainStream(t, l)

	// What was learned serves the same caller's v1 requests too, at once.
	l.deliver(rpcRequest("newcomer", "r2", "big", "", 10000, 1))
	if stream, err := answerOf(t, l, "r2"); !stream || err != nil {
		t.Fatalf("reply to a v1 request from a caller that proved ≥ 1: stream=%v err=%v, want a stream", stream, err)
	}
	drainStream(t, l)

	// Gone when the caller leaves: a v1 request from a new session under the
	// same identity has proved nothing; unannounced until its 200 ms
	// deadline, it gets 1504 saying so.
	l.enqueue(func() {
		l.receiver().ParticipantChanged(link.Event{Kind: link.Left, Participant: link.Participant{Identity: "newcomer"}})
	})
	l.deliver(rpcRequest("newcomer", "r3", "big", "", 200, 1))
	stream, err := answerOf(t, l, "r3")
	if stream || err == nil || err.Code != rpcerr.ResponsePayloadTooLarge ||
		!strings.Contains(err.Data, "newcomer is not known to the room yet") {
		t.Fatalf("reply after the caller left: stream=%v err=%v, want 1504 saying it is not known", stream, err)
	}
}

// drainStream consumes the rest of a response stream bob is sending.
func drainStream(t *testing.T, l *fakeLink) {
	t.Helper()
	for pkt := l.next(t); pkt.GetStreamTrailer() == nil; pkt = l.next(t) {
	}
}

// livekit-server's RoomService PerformRpc sends its request under a caller
// identity equal to the request id, without a SID, and never announces
// that caller: a large reply fails at once with 1504 saying why, where an
// unannounced participant's v1 request waits for the room's word.
func TestServerAPICallerGets1504AtOnce(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	big := strings.Repeat("z", engine.MaxPacketPayload+1)
	register(t, e, "big", func(context.Context, *transport.Request) (string, error) { return big, nil })

	const id = "05268910-8779-4970-a58c-c1ad74911ce8"
	l.deliver(rpcRequest(id, id, "big", "{}", 10000, 1))
	stream, err := answerOf(t, l, id)
	if stream || err == nil || err.Code != rpcerr.ResponsePayloadTooLarge || !strings.Contains(err.Data, "RoomService API") {
		t.Fatalf("reply to the server's API: stream=%v err=%+v, want 1504 naming the RoomService API", stream, err)
	}

	// A participant the room has not announced yet is waited for.
	l.deliver(rpcRequest("newcomer", "r2", "big", "{}", 10000, 1))
	if pkt := l.next(t); pkt.GetRpcAck() == nil {
		t.Fatalf("first answer %v, want the ack", pkt)
	}
	l.nothingSent(t, 300*time.Millisecond)
}
