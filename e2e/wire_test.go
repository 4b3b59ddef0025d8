package e2e

import (
	"context"
	"fmt"
	"sync"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// wireLink is a link.Link decorator that records every data packet the
// engine sends and every one it receives, as it crosses the link: what the
// tests assert about transports comes from here, not from the engine's own
// report.
type wireLink struct {
	link.Link

	mu        sync.Mutex
	packets   []wirePacket
	streamReq map[string]string // stream id → RPC request id
}

// wirePacket is one recorded packet, reduced to what identifies the RPC it
// belongs to and the form it took.
type wirePacket struct {
	sent       bool // by the engine (else received)
	requestID  string
	what       packetWhat
	inline     bool // header with inline_content
	compressed bool // header with DEFLATE_RAW
	errCode    uint32
}

type packetWhat int

const (
	v1Request packetWhat = iota + 1
	v1Ack
	v1Response
	v1Error
	requestHeader  // lk.rpc_request stream header
	responseHeader // lk.rpc_response stream header
	streamChunk
	streamTrailer
)

func newWireLink(l link.Link) *wireLink {
	return &wireLink{Link: l, streamReq: make(map[string]string)}
}

func (w *wireLink) Attach(r link.Receiver) { w.Link.Attach(&wireReceiver{Receiver: r, w: w}) }

func (w *wireLink) Send(ctx context.Context, pkt *livekit.DataPacket) error {
	w.record(true, pkt)
	return w.Link.Send(ctx, pkt)
}

type wireReceiver struct {
	link.Receiver
	w *wireLink
}

func (r *wireReceiver) ReceivePacket(pkt *livekit.DataPacket) {
	r.w.record(false, pkt)
	r.Receiver.ReceivePacket(pkt)
}

func (w *wireLink) record(sent bool, pkt *livekit.DataPacket) {
	p := wirePacket{sent: sent}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch v := pkt.Value.(type) {
	case *livekit.DataPacket_RpcRequest:
		p.what, p.requestID = v1Request, v.RpcRequest.GetId()
	case *livekit.DataPacket_RpcAck:
		p.what, p.requestID = v1Ack, v.RpcAck.GetRequestId()
	case *livekit.DataPacket_RpcResponse:
		p.what, p.requestID = v1Response, v.RpcResponse.GetRequestId()
		if e := v.RpcResponse.GetError(); e != nil {
			p.what, p.errCode = v1Error, e.GetCode()
		}
	case *livekit.DataPacket_StreamHeader:
		h := v.StreamHeader
		switch h.GetTopic() {
		case "lk.rpc_request":
			p.what = requestHeader
		case "lk.rpc_response":
			p.what = responseHeader
		default:
			return
		}
		p.requestID = h.GetAttributes()["lk.rpc_request_id"]
		p.inline = len(h.GetInlineContent()) > 0
		p.compressed = h.GetCompression() == livekit.DataStream_DEFLATE_RAW
		w.streamReq[h.GetStreamId()] = p.requestID
	case *livekit.DataPacket_StreamChunk:
		p.what, p.requestID = streamChunk, w.streamReq[v.StreamChunk.GetStreamId()]
	case *livekit.DataPacket_StreamTrailer:
		p.what, p.requestID = streamTrailer, w.streamReq[v.StreamTrailer.GetStreamId()]
	default:
		return
	}
	w.packets = append(w.packets, p)
}

// mark returns a position in the record; exchange looks only after it.
func (w *wireLink) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.packets)
}

// wireForm is how one payload crossed the wire.
type wireForm struct {
	kind       string // formNone, formPacket, formError, formInline, formStream
	compressed bool
	packets    int
	errCode    uint32
}

const (
	formNone   = "nothing"
	formPacket = "v1 packet"
	formError  = "v1 error packet"
	formInline = "v2 single packet"
	formStream = "v2 stream"
)

func (f wireForm) String() string {
	s := f.kind
	if f.compressed {
		s += ", deflate"
	}
	if f.kind == formError {
		s += fmt.Sprintf(" %d", f.errCode)
	}
	if f.packets > 1 {
		s += fmt.Sprintf(" (%d packets)", f.packets)
	}
	return s
}

// wireExchange is one RPC as seen on the wire.
type wireExchange struct {
	requestID string
	request   wireForm
	acked     bool
	response  wireForm
}

func (e wireExchange) String() string {
	return fmt.Sprintf("request %v, ack %v, response %v", e.request, e.acked, e.response)
}

// exchanges returns the RPCs whose request crossed the wire after mark,
// engineCalled saying which side sent the requests. Packets of requests begun before mark are left out.
func (w *wireLink) exchanges(mark int, engineCalled bool) []wireExchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	byID := map[string]*wireExchange{}
	var order []string
	for _, p := range w.packets[mark:] {
		fromCaller := p.sent == engineCalled
		ex := byID[p.requestID]
		if ex == nil {
			if !fromCaller || (p.what != v1Request && p.what != requestHeader) {
				continue // belongs to an earlier call
			}
			ex = &wireExchange{requestID: p.requestID, request: wireForm{kind: formNone}, response: wireForm{kind: formNone}}
			byID[p.requestID] = ex
			order = append(order, p.requestID)
		}
		form := &ex.response
		if fromCaller { // a caller sends only its request's packets
			form = &ex.request
		}
		switch p.what {
		case v1Request, v1Response:
			*form = wireForm{kind: formPacket, packets: 1}
		case v1Error:
			*form = wireForm{kind: formError, packets: 1, errCode: p.errCode}
		case v1Ack:
			ex.acked = true
		case requestHeader, responseHeader:
			*form = wireForm{kind: formStream, compressed: p.compressed, packets: 1}
			if p.inline {
				form.kind = formInline
			}
		case streamChunk, streamTrailer:
			form.packets++
		}
	}
	out := make([]wireExchange, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}
