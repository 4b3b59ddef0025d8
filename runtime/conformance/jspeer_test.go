package conformance_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// jsVersion is the livekit-client release a scripted peer behaves like.
type jsVersion int

const (
	// js218: client protocol 0, RPC v1 only: v1 requests, v1 replies, no streams.
	js218 jsVersion = 218
	// js219: client protocol 1: a v2 request stream for every call to a
	// peer of protocol ≥ 1 (never inline, header without total_length),
	// response streams to callers of protocol ≥ 1.
	js219 jsVersion = 219
	// js223: client protocol 2 + CAP_COMPRESSION_DEFLATE_RAW: like 2.19, but
	// to peers of protocol 2 streams go inline when they fit and compressed
	// (when the peer takes deflate) when that is smaller.
	js223 jsVersion = 223
)

// Names of RPC v2 on the wire, written out here rather than taken from the
// engine so the scripted peers cannot share its mistakes.
const (
	jsTopicRequest  = "lk.rpc_request"
	jsTopicResponse = "lk.rpc_response"
	jsAttrID        = "lk.rpc_request_id"
	jsAttrMethod    = "lk.rpc_request_method"
	jsAttrTimeout   = "lk.rpc_request_response_timeout_ms"
	jsAttrVersion   = "lk.rpc_request_version"
	jsMaxV1Payload  = 15360
	jsMaxChunk      = 15000
)

func (v jsVersion) joinOptions() []memroom.JoinOption {
	switch v {
	case js218:
		return []memroom.JoinOption{memroom.WithClientProtocol(0), memroom.WithCapabilities()}
	case js219:
		return []memroom.JoinOption{memroom.WithClientProtocol(1), memroom.WithCapabilities()}
	}
	return []memroom.JoinOption{memroom.WithClientProtocol(2),
		memroom.WithCapabilities(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW)}
}

// jsRequest is one request a scripted peer received.
type jsRequest struct {
	Caller, ID, Method, Payload string
	TimeoutMs                   int
	Stream                      bool // came as a v2 stream
}

// jsHandler answers a request: a payload, or an error.
type jsHandler func(req jsRequest) (string, *livekit.RpcError)

// jsSilent, returned by a jsHandler, sends no answer at all (the handler
// has scripted its own).
var jsSilent = &livekit.RpcError{Message: "no answer"}

// jsResult is how a scripted peer's call ended.
type jsResult struct {
	Payload string
	Err     *livekit.RpcError
}

// jsPeer is a scripted stand-in for a livekit-client participant. It
// speaks raw packets through its memroom participant, never through the
// engine, and fails the test when it receives something its version could
// not read.
type jsPeer struct {
	t        *testing.T
	version  jsVersion
	identity string
	link     *memroom.Link

	mu       sync.Mutex
	handlers map[string]jsHandler
	pending  map[string]*jsCall
	streams  map[string]*jsInStream // by sender + "/" + stream id
	work     sync.WaitGroup         // handler runs and replies
}

type jsCall struct {
	dest string
	done chan jsResult // buffered: one result
}

// newJSPeer joins a scripted peer of version v to the bed.
func (b *bed) jsPeer(identity string, v jsVersion) *jsPeer {
	b.t.Helper()
	p, err := b.room.Join(identity, v.joinOptions()...)
	if err != nil {
		b.t.Fatal(err)
	}
	peer := &jsPeer{t: b.t, version: v, identity: identity, link: p,
		handlers: map[string]jsHandler{}, pending: map[string]*jsCall{}, streams: map[string]*jsInStream{}}
	p.Attach(peer)
	b.t.Cleanup(func() {
		_ = p.Close()
		peer.work.Wait()
	})
	return peer
}

// handle registers a handler.
func (p *jsPeer) handle(method string, h jsHandler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers[method] = h
}

// send publishes a raw packet.
func (p *jsPeer) send(pkt *livekit.DataPacket) {
	if err := p.link.Send(context.Background(), pkt); err != nil && !errors.Is(err, memroom.ErrLeft) {
		p.t.Errorf("%s: send: %v", p.identity, err)
	}
}

// ReceivePacket implements link.Receiver.
func (p *jsPeer) ReceivePacket(pkt *livekit.DataPacket) {
	sender := pkt.GetParticipantIdentity()
	switch v := pkt.Value.(type) {
	case reqPkt:
		p.onRequestPacket(sender, v.RpcRequest)
	case ackPkt:
		// Acks only stop the ack timer, which the scripted peer does not model.
	case respPkt:
		r := v.RpcResponse
		if e := r.GetError(); e != nil {
			p.resolve(sender, r.GetRequestId(), jsResult{Err: e})
		} else {
			p.resolve(sender, r.GetRequestId(), jsResult{Payload: r.GetPayload()})
		}
	case headerPkt, chunkPkt, trailerPkt:
		p.onStreamPacket(sender, pkt)
	}
}

// ParticipantChanged implements link.Receiver.
func (p *jsPeer) ParticipantChanged(link.Event) {}

// Disconnected implements link.Receiver.
func (p *jsPeer) Disconnected(error) {}

func (p *jsPeer) resolve(sender, id string, r jsResult) {
	p.mu.Lock()
	c := p.pending[id]
	if c == nil || c.dest != sender {
		p.mu.Unlock()
		return
	}
	delete(p.pending, id)
	p.mu.Unlock()
	c.done <- r
}

func (p *jsPeer) onRequestPacket(caller string, req *livekit.RpcRequest) {
	p.send(jsAck(caller, req.GetId()))
	if req.GetVersion() != 1 {
		p.send(jsErrorPacket(caller, req.GetId(), 1404, "Unsupported RPC version"))
		return
	}
	p.run(jsRequest{Caller: caller, ID: req.GetId(), Method: req.GetMethod(), Payload: req.GetPayload(),
		TimeoutMs: int(req.GetResponseTimeoutMs())})
}

// onRequestStreamHeader applies PROTOCOL.md §3.3 at header time; it reports
// whether the body should be read.
func (p *jsPeer) onRequestStreamHeader(caller string, h *livekit.DataStream_Header) bool {
	a := h.GetAttributes()
	timeout, errT := strconv.Atoi(a[jsAttrTimeout])
	version, errV := strconv.Atoi(a[jsAttrVersion])
	if a[jsAttrID] == "" || a[jsAttrMethod] == "" || errT != nil || errV != nil {
		e := jsErrorPacket(caller, a[jsAttrID], 1500, "Application error in method handler")
		e.GetRpcResponse().GetError().Data = "RPC data stream malformed"
		p.send(e)
		return false
	}
	_ = timeout
	p.send(jsAck(caller, a[jsAttrID]))
	if version != 2 {
		p.send(jsErrorPacket(caller, a[jsAttrID], 1404, "Unsupported RPC version"))
		return false
	}
	return true
}

// run serves a request in its own goroutine, as the SDK's async handler does.
func (p *jsPeer) run(req jsRequest) {
	p.mu.Lock()
	h := p.handlers[req.Method]
	p.mu.Unlock()
	p.work.Add(1)
	go func() {
		defer p.work.Done()
		if h == nil {
			p.send(jsErrorPacket(req.Caller, req.ID, 1400, "Method not supported at destination"))
			return
		}
		payload, rerr := h(req)
		if rerr == jsSilent {
			return
		}
		if rerr != nil {
			p.send(jsErrorPacket(req.Caller, req.ID, int(rerr.Code), rerr.Message))
			return
		}
		p.reply(req, payload)
	}()
}

// reply sends a success the way the version does.
func (p *jsPeer) reply(req jsRequest, payload string) {
	callerInfo, _ := p.link.Participant(req.Caller)
	if p.version == js218 || callerInfo.ClientProtocol < 1 {
		if len(payload) > jsMaxV1Payload {
			p.send(jsErrorPacket(req.Caller, req.ID, 1504, "Response payload too large"))
			return
		}
		p.send(&livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{req.Caller},
			Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{
				RequestId: req.ID, Value: &livekit.RpcResponse_Payload{Payload: payload}}}})
		return
	}
	p.sendStream(callerInfo, jsTopicResponse, map[string]string{jsAttrID: req.ID}, payload)
}

// call performs an RPC the way the version does and waits for its end.
func (p *jsPeer) call(dest, method, payload string, timeout time.Duration) jsResult {
	p.t.Helper()
	destInfo, _ := p.link.Participant(dest)
	id := uuid.NewString()
	wireTimeout := max(timeout, 8*time.Second).Milliseconds() // livekit-client's max(timeout, 8000)
	c := &jsCall{dest: dest, done: make(chan jsResult, 1)}

	v2 := p.version != js218 && destInfo.ClientProtocol >= 1
	if !v2 && len(payload) > jsMaxV1Payload {
		return jsResult{Err: &livekit.RpcError{Code: 1402, Message: "Request payload too large"}}
	}
	p.mu.Lock()
	p.pending[id] = c
	p.mu.Unlock()
	if v2 {
		p.sendStream(destInfo, jsTopicRequest, map[string]string{
			jsAttrID:      id,
			jsAttrMethod:  method,
			jsAttrTimeout: strconv.FormatInt(wireTimeout, 10),
			jsAttrVersion: "2",
		}, payload)
	} else {
		p.send(&livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{dest},
			Value: &livekit.DataPacket_RpcRequest{RpcRequest: &livekit.RpcRequest{
				Id: id, Method: method, Payload: payload, ResponseTimeoutMs: uint32(wireTimeout), Version: 1}}})
	}
	select {
	case r := <-c.done:
		return r
	case <-time.After(min(timeout, waitLimit)):
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return jsResult{Err: &livekit.RpcError{Code: 1502, Message: "Response timeout"}}
	}
}

func jsAck(dest, id string) *livekit.DataPacket {
	return &livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: id}}}
}

func jsErrorPacket(dest, id string, code int, message string) *livekit.DataPacket {
	return &livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{RequestId: id,
			Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{Code: uint32(code), Message: message}}}}}
}

func parseInt(s string) (int, error) { return strconv.Atoi(s) }
