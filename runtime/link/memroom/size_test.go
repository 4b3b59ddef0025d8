package memroom

import (
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// packetSize is proto.Size for headers with and without attributes (empty
// keys and values, lengths whose varints take 1–3 bytes, a header whose
// own length prefix grows with them) and for other packets, and leaves the
// packet as it found it.
func TestPacketSize(t *testing.T) {
	total := uint64(20)
	header := func(attrs map[string]string, inline int) *livekit.DataPacket {
		return &livekit.DataPacket{
			ParticipantIdentity:   "alice",
			DestinationIdentities: []string{"bob"},
			Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
				StreamId: "s", Topic: "lk.rpc_request", Timestamp: 1764000000000, TotalLength: &total,
				Attributes: attrs, InlineContent: make([]byte, inline),
				ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{}},
			}},
		}
	}
	pkts := []*livekit.DataPacket{
		header(nil, 0),
		header(map[string]string{"lk.rpc_request_id": "id", "": "", "k": ""}, 0),
		header(map[string]string{"a": strings.Repeat("v", 100)}, 20), // header prefix 1 → 2 bytes
		header(map[string]string{strings.Repeat("k", 200): strings.Repeat("v", 20000)}, 16000),
		{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "id"}}},
		{Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{StreamId: "s", Content: []byte("x")}}},
	}
	for i, pkt := range pkts {
		before := proto.Clone(pkt)
		if got, want := packetSize(pkt), proto.Size(pkt); got != want {
			t.Errorf("packet %d: packetSize %d, proto.Size %d", i, got, want)
		}
		if !proto.Equal(pkt, before) {
			t.Errorf("packet %d changed", i)
		}
	}
}
