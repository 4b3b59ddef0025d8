package engine_test

import (
	"context"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Packet builders and checks shared by the tests. Packets a test injects
// carry ParticipantIdentity as the SFU would set it.

func from(sender string, pkt *livekit.DataPacket) *livekit.DataPacket {
	pkt.ParticipantIdentity = sender
	return pkt
}

func rpcRequest(sender, id, method, payload string, timeoutMs, version uint32) *livekit.DataPacket {
	return from(sender, &livekit.DataPacket{Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{
		Id: id, Method: method, Payload: payload, ResponseTimeoutMs: timeoutMs, Version: version,
	}}})
}

func rpcAck(sender, id string) *livekit.DataPacket {
	return from(sender, &livekit.DataPacket{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}}})
}

func rpcResponse(sender, id, payload string) *livekit.DataPacket {
	return from(sender, &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
		RequestId: id, Value: &livekit.RpcResponse_Payload{Payload: payload},
	}}})
}

func rpcErrorResponse(sender, id string, code uint32, message string) *livekit.DataPacket {
	return from(sender, &livekit.DataPacket{Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
		RequestId: id, Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{Code: code, Message: message}},
	}}})
}

// streamPackets encodes a text stream from sender with the datastream package.
func streamPackets(t *testing.T, sender string, o datastream.Outgoing, opts datastream.SendOptions) []*livekit.DataPacket {
	t.Helper()
	seq, _, err := datastream.Encode(o, opts)
	if err != nil {
		t.Fatalf("encode stream: %v", err)
	}
	var out []*livekit.DataPacket
	for pkt := range seq {
		out = append(out, from(sender, pkt))
	}
	return out
}

func requestStreamAttrs(id, method string, timeoutMs int, version string) map[string]string {
	return map[string]string{
		engine.AttrRequestID:       id,
		engine.AttrRequestMethod:   method,
		engine.AttrResponseTimeout: strconv.Itoa(timeoutMs),
		engine.AttrRequestVersion:  version,
	}
}

// wantAck checks that pkt is an RpcAck for id addressed to dest.
func wantAck(t *testing.T, pkt *livekit.DataPacket, dest, id string) {
	t.Helper()
	ack := pkt.GetRpcAck()
	if ack == nil || ack.GetRequestId() != id || !sameDest(pkt, dest) {
		t.Fatalf("want RpcAck{%s} to %s, got %v", id, dest, pkt)
	}
}

// wantError checks that pkt is an RpcResponse.error with code for id and
// returns the error.
func wantError(t *testing.T, pkt *livekit.DataPacket, dest, id string, code int) *livekit.RpcError {
	t.Helper()
	resp := pkt.GetRpcResponse()
	if resp == nil || resp.GetRequestId() != id || resp.GetError() == nil || !sameDest(pkt, dest) {
		t.Fatalf("want RpcResponse.error for %s to %s, got %v", id, dest, pkt)
	}
	if got := int(resp.GetError().GetCode()); got != code {
		t.Fatalf("error code = %d (%q), want %d", got, resp.GetError().GetMessage(), code)
	}
	return resp.GetError()
}

// wantPayload checks that pkt is an RpcResponse.payload for id.
func wantPayload(t *testing.T, pkt *livekit.DataPacket, dest, id, payload string) {
	t.Helper()
	resp := pkt.GetRpcResponse()
	v, ok := resp.GetValue().(*livekit.RpcResponse_Payload)
	if resp == nil || resp.GetRequestId() != id || !ok || !sameDest(pkt, dest) {
		t.Fatalf("want RpcResponse.payload for %s to %s, got %v", id, dest, pkt)
	}
	if v.Payload != payload {
		t.Fatalf("response payload = %q, want %q", v.Payload, payload)
	}
}

func sameDest(pkt *livekit.DataPacket, dest string) bool {
	d := pkt.GetDestinationIdentities()
	return len(d) == 1 && d[0] == dest
}

// wantCode checks that err is an *rpcerr.Error with code.
func wantCode(t *testing.T, err error, code int) *rpcerr.Error {
	t.Helper()
	re, ok := rpcerr.From(err)
	if !ok {
		t.Fatalf("want rpc error %d, got %v", code, err)
	}
	if re.Code != code {
		t.Fatalf("want rpc error %d, got %v", code, re)
	}
	return re
}

// callResult is the outcome of an asynchronous Call.
type callResult struct {
	reply transport.Reply
	err   error
}

func goCall(ctx context.Context, e *engine.Engine, c transport.Call) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		r, err := e.Call(ctx, c)
		ch <- callResult{r, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan callResult) callResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("call did not end within 5s")
		return callResult{}
	}
}

func stillRunning(t *testing.T, ch <-chan callResult, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("call ended early: %+v", r)
	case <-time.After(d):
	}
}

// fixedIDs returns an id generator yielding ids in order, then fresh ones.
func fixedIDs(ids ...string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= len(ids) {
			return ids[n-1]
		}
		return "generated-" + strconv.Itoa(n)
	}
}

// vectorPacket decodes a hex wire vector of internal/wirevectors/rpc_packets.json.
func vectorPacket(t *testing.T, hexText string) *livekit.DataPacket {
	t.Helper()
	b, err := hex.DecodeString(hexText)
	if err != nil {
		t.Fatal(err)
	}
	pkt := &livekit.DataPacket{}
	if err := proto.Unmarshal(b, pkt); err != nil {
		t.Fatal(err)
	}
	return pkt
}

// sameWire compares what the engine sent with a vector, ignoring the fields
// the link and the SFU set (sequence, participant identity).
func sameWire(t *testing.T, got, want *livekit.DataPacket) {
	t.Helper()
	g := proto.Clone(got).(*livekit.DataPacket)
	w := proto.Clone(want).(*livekit.DataPacket)
	g.Sequence, w.Sequence = 0, 0
	g.ParticipantIdentity, w.ParticipantIdentity = "", ""
	if !proto.Equal(g, w) {
		t.Fatalf("packet differs from the wire vector:\n got: %v\nwant: %v", g, w)
	}
}
