package rtc

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func rpcPackets() map[string]*livekit.DataPacket {
	long := strings.Repeat("é", 200) // sizes over one varint byte
	return map[string]*livekit.DataPacket{
		"request": {Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{"bob"},
			Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{
				Id: "id-1", Method: "Ping", Payload: `{"a":1}`, ResponseTimeoutMs: 15000, Version: 1}}},
		"request, long fields and every packet field": {Kind: livekit.DataPacket_LOSSY, ParticipantIdentity: "alice",
			DestinationIdentities: []string{"bob", "", long}, ParticipantSid: "PA_x",
			Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{
				Id: long, Method: long, Payload: long + long, ResponseTimeoutMs: 1 << 31, Version: 7}}},
		"request, empty": {Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{}}},
		"negative kind":  {Kind: -1, Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "x"}}},
		"ack": {Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{"alice"},
			Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "id-1"}}},
		"ack, empty": {Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{}}},
		"response": {Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{"alice"},
			Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
				RequestId: "id-1", Value: &livekit.RpcResponse_Payload{Payload: long}}}},
		"response, empty payload": {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
			RequestId: "id-1", Value: &livekit.RpcResponse_Payload{}}}},
		"response, no value": {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{RequestId: "id"}}},
		"error": {Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{"alice"},
			Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
				RequestId: "id-1", Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{
					Code: 1500, Message: "Application error in method handler", Data: long}}}}},
		"error, empty": {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
			Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{}}}}},
	}
}

// TestEncodePacketMatchesMarshal: the RPC packets encode byte for byte as
// proto.Marshal encodes them.
func TestEncodePacketMatchesMarshal(t *testing.T) {
	for name, pkt := range rpcPackets() {
		got, ok := appendRPCPacket(nil, pkt)
		if !ok {
			t.Errorf("%s: left to proto.Marshal", name)
			continue
		}
		want, err := proto.Marshal(pkt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", name, got, want)
		}
		if cap(got)-len(got) < seqRoom {
			t.Errorf("%s: %d bytes spare for the sequence number, want %d", name, cap(got)-len(got), seqRoom)
		}
	}
}

// TestEncodePacketFallsBack: what the fast path does not know goes to
// proto.Marshal, which then decides (including its UTF-8 error).
func TestEncodePacketFallsBack(t *testing.T) {
	withUnknown := &livekit.RpcAck{RequestId: "x"}
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1))
	cases := map[string]*livekit.DataPacket{
		"stream chunk":        {Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{StreamId: "s"}}},
		"no value":            {Kind: livekit.DataPacket_RELIABLE},
		"nil request":         {Value: &livekit.DataPacket_RpcRequest{}},
		"nil ack":             {Value: &livekit.DataPacket_RpcAck{}},
		"nil response":        {Value: &livekit.DataPacket_RpcResponse{}},
		"nil error":           {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{Value: &livekit.RpcResponse_Error{}}}},
		"sequence set":        {Sequence: 3, Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "x"}}},
		"unknown field":       {Value: &livekit.DataPacket_RpcAck{RpcAck: withUnknown}},
		"compressed request":  {Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{CompressedPayload: []byte{1}}}},
		"compressed response": {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{Value: &livekit.RpcResponse_CompressedPayload{CompressedPayload: []byte{1}}}}},
		"invalid UTF-8":       {DestinationIdentities: []string{"\xff"}, Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "x"}}},
		"invalid payload":     {Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{Payload: "\xff"}}},
		"invalid error data":  {Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{Data: "\xff"}}}}},
	}
	for name, pkt := range cases {
		if b, ok := appendRPCPacket(nil, pkt); ok || b != nil {
			t.Errorf("%s: encoded by the fast path", name)
		}
		got, gotErr := encodePacket(pkt)
		want, wantErr := proto.Marshal(pkt)
		if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: encodePacket = %x, %v; proto.Marshal = %x, %v", name, got, gotErr, want, wantErr)
		}
	}
}

// TestEncodePacketKnowsEveryField fails when the protocol module gains a
// field in a message the fast path writes: it would be dropped silently.
func TestEncodePacketKnowsEveryField(t *testing.T) {
	known := map[protoreflect.FullName][]protowire.Number{
		"livekit.DataPacket":  {fieldKind, 2, 3, fieldIdentity, fieldDestinations, 6, 7, 8, 9, fieldRPCRequest, fieldRPCAck, fieldRPCResponse, 13, 14, 15, 16, fieldSID, 18},
		"livekit.RpcRequest":  {1, 2, 3, 4, 5, 6},
		"livekit.RpcAck":      {1},
		"livekit.RpcResponse": {1, 2, 3, 4},
		"livekit.RpcError":    {1, 2, 3},
	}
	// The fields the fast path writes, by name; every other field of
	// DataPacket is a oneof member it does not take (or 16, the sequence,
	// which it refuses when set).
	names := map[protowire.Number]protoreflect.Name{fieldKind: "kind", fieldIdentity: "participant_identity",
		fieldDestinations: "destination_identities", fieldRPCRequest: "rpc_request", fieldRPCAck: "rpc_ack",
		fieldRPCResponse: "rpc_response", 16: "sequence", fieldSID: "participant_sid"}
	for _, m := range []proto.Message{&livekit.DataPacket{}, &livekit.RpcRequest{}, &livekit.RpcAck{}, &livekit.RpcResponse{}, &livekit.RpcError{}} {
		d := m.ProtoReflect().Descriptor()
		want := known[d.FullName()]
		fields := d.Fields()
		got := make([]protowire.Number, 0, fields.Len())
		for i := range fields.Len() {
			f := fields.Get(i)
			got = append(got, f.Number())
			if d.FullName() != "livekit.DataPacket" {
				continue
			}
			if name, ok := names[f.Number()]; ok && name != f.Name() {
				t.Errorf("DataPacket field %d is %s, want %s", f.Number(), f.Name(), name)
			}
			if _, ok := names[f.Number()]; !ok && f.ContainingOneof() == nil {
				t.Errorf("DataPacket field %s (%d) is not a oneof member: the fast path would drop it", f.Name(), f.Number())
			}
		}
		slices.Sort(got)
		if len(got) != len(want) {
			t.Errorf("%s has fields %v, the fast path knows %v", d.FullName(), got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s has fields %v, the fast path knows %v", d.FullName(), got, want)
				break
			}
		}
	}
}

func BenchmarkEncodePacket(b *testing.B) {
	pkt := rpcPackets()["request"]
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_, _ = encodePacket(pkt)
		}
	})
	b.Run("proto.Marshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = proto.Marshal(pkt)
		}
	})
}
