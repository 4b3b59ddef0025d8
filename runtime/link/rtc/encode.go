package rtc

import (
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// encodePacket encodes pkt with room for the sequence number the sender
// appends. The RPC v1 packets (request, ack, response: every small call
// sends three) are written field by field, byte for byte what proto.Marshal
// writes (encode_test.go); anything else goes to proto.Marshal. proto.Marshal walks the
// message by reflection, deep enough that a caller's fresh goroutine grew
// its stack inside it on most small calls: a third of the calling side's
// CPU in bench row 6's profile.
func encodePacket(pkt *livekit.DataPacket) ([]byte, error) {
	if b, ok := appendRPCPacket(nil, pkt); ok {
		return b, nil
	}
	return proto.Marshal(pkt)
}

// Field numbers (livekit_models.proto) of the fields appendRPCPacket
// writes; encode_test.go checks them, and that no other field exists,
// against the generated descriptors.
const (
	fieldKind         protowire.Number = 1
	fieldIdentity     protowire.Number = 4
	fieldDestinations protowire.Number = 5
	fieldRPCRequest   protowire.Number = 10
	fieldRPCAck       protowire.Number = 11
	fieldRPCResponse  protowire.Number = 12
	fieldSID          protowire.Number = 17
)

// seqRoom is what the sequence number takes at most: field 16's tag (2
// bytes) and a uint32 varint (5).
const seqRoom = 2 + 5

// appendRPCPacket appends pkt's encoding when it is a complete RPC v1
// packet that appendRPCPacket knows every field of; ok is false (and
// nothing is appended) for anything else: other values, nil messages,
// unknown fields, strings that are not UTF-8 (proto.Marshal's error), a
// sequence already set, compressed payloads (the engine sends none).
func appendRPCPacket(b []byte, pkt *livekit.DataPacket) ([]byte, bool) {
	if pkt == nil || pkt.Sequence != 0 || !plain(pkt) ||
		!utf8.ValidString(pkt.ParticipantIdentity) || !utf8.ValidString(pkt.ParticipantSid) {
		return b, false
	}
	for _, d := range pkt.DestinationIdentities {
		if !utf8.ValidString(d) {
			return b, false
		}
	}
	field, size := protowire.Number(0), -1
	switch v := pkt.Value.(type) {
	case *livekit.DataPacket_RpcRequest:
		field, size = fieldRPCRequest, requestSize(v.RpcRequest)
	case *livekit.DataPacket_RpcAck:
		field, size = fieldRPCAck, ackSize(v.RpcAck)
	case *livekit.DataPacket_RpcResponse:
		field, size = fieldRPCResponse, responseSize(v.RpcResponse)
	}
	if size < 0 {
		return b, false
	}
	n := varintField(fieldKind, uint64(pkt.Kind)) + stringField(fieldIdentity, pkt.ParticipantIdentity) +
		messageField(field, size) + stringField(fieldSID, pkt.ParticipantSid)
	for _, d := range pkt.DestinationIdentities {
		n += protowire.SizeTag(fieldDestinations) + protowire.SizeBytes(len(d))
	}
	if b == nil {
		b = make([]byte, 0, n+seqRoom)
	}
	b = appendVarintField(b, fieldKind, uint64(pkt.Kind))
	b = appendStringField(b, fieldIdentity, pkt.ParticipantIdentity)
	for _, d := range pkt.DestinationIdentities {
		b = protowire.AppendTag(b, fieldDestinations, protowire.BytesType)
		b = protowire.AppendString(b, d)
	}
	// proto.Marshal writes the fields outside a oneof first, by number,
	// then the oneof's (protobuf-go's order.LegacyFieldOrder).
	b = appendStringField(b, fieldSID, pkt.ParticipantSid)
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	switch v := pkt.Value.(type) {
	case *livekit.DataPacket_RpcRequest:
		b = appendRequest(b, v.RpcRequest)
	case *livekit.DataPacket_RpcAck:
		b = appendStringField(b, 1, v.RpcAck.RequestId)
	case *livekit.DataPacket_RpcResponse:
		b = appendResponse(b, v.RpcResponse)
	}
	return b, true
}

// plain reports that m carries no unknown fields.
func plain(m proto.Message) bool { return len(m.ProtoReflect().GetUnknown()) == 0 }

// requestSize is the encoded size of r, or -1 when appendRPCPacket leaves
// it to proto.Marshal.
func requestSize(r *livekit.RpcRequest) int {
	if r == nil || len(r.CompressedPayload) > 0 || !plain(r) ||
		!utf8.ValidString(r.Id) || !utf8.ValidString(r.Method) || !utf8.ValidString(r.Payload) {
		return -1
	}
	return stringField(1, r.Id) + stringField(2, r.Method) + stringField(3, r.Payload) +
		varintField(4, uint64(r.ResponseTimeoutMs)) + varintField(5, uint64(r.Version))
}

func appendRequest(b []byte, r *livekit.RpcRequest) []byte {
	b = appendStringField(b, 1, r.Id)
	b = appendStringField(b, 2, r.Method)
	b = appendStringField(b, 3, r.Payload)
	b = appendVarintField(b, 4, uint64(r.ResponseTimeoutMs))
	return appendVarintField(b, 5, uint64(r.Version))
}

func ackSize(a *livekit.RpcAck) int {
	if a == nil || !plain(a) || !utf8.ValidString(a.RequestId) {
		return -1
	}
	return stringField(1, a.RequestId)
}

// responseSize is the encoded size of r, or -1 (see requestSize). The
// oneof's members are written even when empty, as proto.Marshal does.
func responseSize(r *livekit.RpcResponse) int {
	if r == nil || !plain(r) || !utf8.ValidString(r.RequestId) {
		return -1
	}
	n := stringField(1, r.RequestId)
	switch v := r.Value.(type) {
	case nil:
	case *livekit.RpcResponse_Payload:
		if !utf8.ValidString(v.Payload) {
			return -1
		}
		n += protowire.SizeTag(2) + protowire.SizeBytes(len(v.Payload))
	case *livekit.RpcResponse_Error:
		e := v.Error
		if e == nil || !plain(e) || !utf8.ValidString(e.Message) || !utf8.ValidString(e.Data) {
			return -1
		}
		n += messageField(3, errorSize(e))
	default: // compressed_payload, or a member added later
		return -1
	}
	return n
}

func errorSize(e *livekit.RpcError) int {
	return varintField(1, uint64(e.Code)) + stringField(2, e.Message) + stringField(3, e.Data)
}

func appendResponse(b []byte, r *livekit.RpcResponse) []byte {
	b = appendStringField(b, 1, r.RequestId)
	switch v := r.Value.(type) {
	case *livekit.RpcResponse_Payload:
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, v.Payload)
	case *livekit.RpcResponse_Error:
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(errorSize(v.Error)))
		b = appendVarintField(b, 1, uint64(v.Error.Code))
		b = appendStringField(b, 2, v.Error.Message)
		b = appendStringField(b, 3, v.Error.Data)
	}
	return b
}

// The sizes and appenders of proto3 singular fields: a zero value is not
// written.

func varintField(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func stringField(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func messageField(num protowire.Number, size int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(size)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}
