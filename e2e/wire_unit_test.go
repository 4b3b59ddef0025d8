package e2e

import (
	"testing"

	"github.com/livekit/protocol/livekit"
)

// The recorder groups packets by RPC, tells requests from responses by
// direction, follows chunks to their stream's request, and leaves out
// packets of calls begun before the mark.
func TestWireLinkGroupsPacketsByRPC(t *testing.T) {
	w := newWireLink(nil)
	header := func(topic, stream, req string, inline bool, deflate bool) *livekit.DataPacket {
		h := &livekit.DataStream_Header{StreamId: stream, Topic: topic, Attributes: map[string]string{"lk.rpc_request_id": req}}
		if inline {
			h.InlineContent = []byte("x")
		}
		if deflate {
			h.Compression = livekit.DataStream_DEFLATE_RAW
		}
		return &livekit.DataPacket{Value: &livekit.DataPacket_StreamHeader{StreamHeader: h}}
	}
	chunk := &livekit.DataPacket{Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{StreamId: "s2"}}}
	trailer := &livekit.DataPacket{Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: "s2"}}}
	ack := func(id string) *livekit.DataPacket {
		return &livekit.DataPacket{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}}}
	}
	errResp := &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
		RequestId: "old", Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{Code: 1502}}}}}

	w.record(true, &livekit.DataPacket{Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{Id: "old"}}})
	mark := w.mark()
	w.record(false, errResp) // the earlier call's late answer
	w.record(true, header("lk.rpc_request", "s1", "r1", true, false))
	w.record(false, ack("r1"))
	w.record(false, header("lk.rpc_response", "s2", "r1", false, true))
	w.record(false, chunk)
	w.record(false, trailer)

	exs := w.exchanges(mark, true)
	if len(exs) != 1 {
		t.Fatalf("exchanges = %v, want one", exs)
	}
	ex := exs[0]
	if ex.requestID != "r1" || !ex.acked || ex.request.shape() != formInline ||
		ex.response.shape() != formStream+", deflate" || ex.response.packets != 3 {
		t.Fatalf("exchange = %v, want inline request, ack, deflate stream of 3 packets", ex)
	}
	if got := w.exchanges(mark, false); len(got) != 0 {
		t.Fatalf("seen from the other side: %v, want no requests the peer sent", got)
	}
}
