package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// This file is the wire vocabulary of LiveKit RPC (PROTOCOL.md §2, §3): the
// topics, attribute keys and versions, and the packets built from them.
// Everything else in the engine speaks through it.

// Wire names of RPC v2 (PROTOCOL.md §3).
const (
	TopicRequest  = "lk.rpc_request"
	TopicResponse = "lk.rpc_response"

	AttrRequestID       = "lk.rpc_request_id"
	AttrRequestMethod   = "lk.rpc_request_method"
	AttrResponseTimeout = "lk.rpc_request_response_timeout_ms"
	AttrRequestVersion  = "lk.rpc_request_version"
)

// RPC versions carried by requests.
const (
	versionPacket = 1 // RpcRequest.version
	versionStream = 2 // lk.rpc_request_version
)

// malformedStream is the error data livekit-client sends for an
// lk.rpc_request stream whose attributes are missing or unparsable.
const malformedStream = "RPC data stream malformed"

// requestParts, ackParts and responseParts are a request's, an ack's and
// a successful response's packet with its messages, allocated together:
// one allocation per packet instead of four.
type requestParts struct {
	pkt   livekit.DataPacket
	value livekit.DataPacket_RpcRequest
	req   livekit.RpcRequest
	dest  [1]string
}

func requestPacket(dest, id, method, payload string, timeoutMs uint32) *livekit.DataPacket {
	b := new(requestParts)
	b.req.Id, b.req.Method, b.req.Payload = id, method, payload
	b.req.ResponseTimeoutMs, b.req.Version = timeoutMs, versionPacket
	b.value.RpcRequest = &b.req
	b.pkt.Value = &b.value
	return reliableTo(&b.pkt, &b.dest, dest)
}

type ackParts struct {
	pkt   livekit.DataPacket
	value livekit.DataPacket_RpcAck
	ack   livekit.RpcAck
	dest  [1]string
}

func ackPacket(caller, id string) *livekit.DataPacket {
	b := new(ackParts)
	b.ack.RequestId = id
	b.value.RpcAck = &b.ack
	b.pkt.Value = &b.value
	return reliableTo(&b.pkt, &b.dest, caller)
}

type responseParts struct {
	pkt     livekit.DataPacket
	value   livekit.DataPacket_RpcResponse
	resp    livekit.RpcResponse
	payload livekit.RpcResponse_Payload
	dest    [1]string
}

func responsePacket(caller, id, payload string) *livekit.DataPacket {
	b := new(responseParts)
	b.payload.Payload = payload
	b.resp.RequestId = id
	b.resp.Value = &b.payload
	b.value.RpcResponse = &b.resp
	b.pkt.Value = &b.value
	return reliableTo(&b.pkt, &b.dest, caller)
}

// reliableTo makes pkt a reliable packet to dest, stored in d.
func reliableTo(pkt *livekit.DataPacket, d *[1]string, dest string) *livekit.DataPacket {
	d[0] = dest
	pkt.Kind = livekit.DataPacket_RELIABLE
	pkt.DestinationIdentities = d[:]
	return pkt
}

// errorPacket carries err, truncated to the wire limits.
func errorPacket(caller, id string, err *rpcerr.Error) *livekit.DataPacket {
	t := err.Truncated()
	return &livekit.DataPacket{
		Kind:                  livekit.DataPacket_RELIABLE,
		DestinationIdentities: []string{caller},
		Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
			RequestId: id,
			Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{
				Code:    uint32(max(t.Code, 0)),
				Message: t.Message,
				Data:    t.Data,
			}},
		}},
	}
}

// newUUID returns a random (version 4) UUID in its 36-character form, as
// uuid.NewString does, in one allocation instead of three: request and
// stream ids are made for every call.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails (it crashes the program instead)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant RFC 4122
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// maxTimeoutMs bounds a response timeout read from the wire, so that
// converting it to a time.Duration cannot overflow.
const maxTimeoutMs = int64(time.Duration(1<<63-1) / time.Millisecond)

// requestAttributes are the attributes of an lk.rpc_request stream header
// (PROTOCOL.md §3.2).
func requestAttributes(id, method string, timeoutMs uint32) map[string]string {
	return map[string]string{
		AttrRequestID:       id,
		AttrRequestMethod:   method,
		AttrResponseTimeout: strconv.FormatUint(uint64(timeoutMs), 10),
		AttrRequestVersion:  strconv.Itoa(versionStream),
	}
}

// streamRequest is what the attributes of an lk.rpc_request header say.
type streamRequest struct {
	id, method string
	timeoutMs  int64 // in [0, maxTimeoutMs]; 0 when the caller sent 0 or less
	version    int
}

// parseRequestAttributes reads the four lk.rpc_request_* attributes. It
// reports false when one is missing or unparsable, which PROTOCOL.md §3.3
// answers with error 1500 and no ack. The timeout is advisory: a negative
// one reads as 0 (the handler's default) and a huge one is capped.
func parseRequestAttributes(attrs map[string]string) (streamRequest, bool) {
	id, method := attrs[AttrRequestID], attrs[AttrRequestMethod]
	timeoutMs, errT := strconv.ParseInt(attrs[AttrResponseTimeout], 10, 64)
	version, errV := strconv.Atoi(attrs[AttrRequestVersion])
	if id == "" || method == "" || errT != nil || errV != nil {
		return streamRequest{}, false
	}
	return streamRequest{id: id, method: method, timeoutMs: min(max(timeoutMs, 0), maxTimeoutMs), version: version}, true
}
