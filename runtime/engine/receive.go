package engine

import (
	"context"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// streamKey names an incoming stream: stream ids are only unique per sender.
type streamKey struct {
	sender   string
	streamID string
}

// receiver is the engine as the link sees it: the link.Receiver methods are
// plumbing between the two and not part of the engine's API.
type receiver Engine

var _ link.Receiver = (*receiver)(nil)

// ReceivePacket demultiplexes one packet from the link. It never blocks on
// a send: everything that answers runs in its own goroutine.
func (r *receiver) ReceivePacket(pkt *livekit.DataPacket) {
	e := (*Engine)(r)
	sender := pkt.GetParticipantIdentity()
	switch v := pkt.GetValue().(type) {
	case *livekit.DataPacket_RpcRequest:
		e.onRequestPacket(sender, pkt.GetParticipantSid(), v.RpcRequest)
	case *livekit.DataPacket_RpcAck:
		e.pending.acknowledge(sender, v.RpcAck.GetRequestId())
	case *livekit.DataPacket_RpcResponse:
		e.onResponsePacket(sender, v.RpcResponse)
	case *livekit.DataPacket_StreamHeader, *livekit.DataPacket_StreamChunk, *livekit.DataPacket_StreamTrailer:
		e.recvMu.Lock()
		defer e.recvMu.Unlock()
		if e.onReplyPacket(sender, pkt) {
			return
		}
		e.onStreamEvents(e.asm.Feed(pkt))
		if c, ok := v.(*livekit.DataPacket_StreamChunk); ok && len(e.downloads) > 0 {
			e.reportChunk(sender, c.StreamChunk)
		}
	}
}

// ParticipantChanged wakes whoever waits for a participant the room has
// just announced, and ends what depended on a participant that left: calls
// to it fail with 1503, its handlers are cancelled, its open streams are
// dropped.
func (r *receiver) ParticipantChanged(ev link.Event) {
	e := (*Engine)(r)
	identity := ev.Participant.Identity
	if ev.Kind != link.Left {
		e.roster.announced(identity)
		return
	}
	e.roster.left(identity)
	e.pending.failTo(identity, func() error { return rpcerr.Builtin(rpcerr.RecipientDisconnected) })
	e.streamCalls.failTo(identity, func() error { return rpcerr.Builtin(rpcerr.RecipientDisconnected) })
	e.cancelCaller(identity)
	e.recvMu.Lock()
	defer e.recvMu.Unlock()
	e.dropReplies(identity)
	e.onStreamEvents(e.asm.SenderLeft(identity))
}

// Disconnected fails every pending call with 1503 naming the cause, cancels
// running handlers, makes later calls fail the same way, and closes Done.
func (r *receiver) Disconnected(err error) {
	e := (*Engine)(r)
	cause := "link closed"
	if err != nil {
		cause = "link lost: " + err.Error()
	}
	e.pending.detachAll(rpcerr.New(rpcerr.RecipientDisconnected, cause))
	e.streamCalls.closeAll(rpcerr.New(rpcerr.RecipientDisconnected, cause))
	e.end(err)
	e.endLife()
	e.closeStreams()
}

// closeStreams closes the assembler at the engine's end (Close, or the link
// lost): the streams still open fail (ErrClosed) and the memory holding
// their bytes, off the Go heap for large ones, is released now, not when
// their sender finishes or leaves; later stream packets are ignored.
func (e *Engine) closeStreams() {
	e.recvMu.Lock()
	defer e.recvMu.Unlock()
	e.onStreamEvents(e.asm.Close())
}

// onResponsePacket completes a call with an RpcResponse packet.
func (e *Engine) onResponsePacket(sender string, resp *livekit.RpcResponse) {
	id := resp.GetRequestId()
	switch v := resp.GetValue().(type) {
	case *livekit.RpcResponse_Payload:
		e.pending.resolve(sender, id, transport.Reply{Payload: v.Payload, Response: transport.PacketTransfer(v.Payload)}, nil)
	case *livekit.RpcResponse_Error:
		re := v.Error
		e.pending.resolve(sender, id, transport.Reply{}, &rpcerr.Error{Code: int(re.GetCode()), Message: re.GetMessage(), Data: re.GetData()})
	case *livekit.RpcResponse_CompressedPayload:
		// No SDK sends it (PROTOCOL.md §2); fail the call rather than let it time out.
		e.pending.resolve(sender, id, transport.Reply{}, rpcerr.New(rpcerr.ApplicationError, "unsupported compressed_payload response"))
	default:
		// A response with neither payload nor error: an empty success.
		e.pending.resolve(sender, id, transport.Reply{Response: transport.PacketTransfer("")}, nil)
	}
}

// onStreamEvents routes what the assembler produced (under recvMu).
func (e *Engine) onStreamEvents(events []datastream.Event) {
	for i := 0; i < len(events); i++ {
		ev := events[i]
		switch ev.Header.GetTopic() {
		case TopicRequest:
			// An inline request arrives whole: its Completed event comes
			// with its Opened one, and the body needs no hand-over.
			if whole := i + 1; ev.Kind == datastream.Opened && whole < len(events) &&
				events[whole].Kind == datastream.Completed && events[whole].Header == ev.Header && events[whole].Sender == ev.Sender {
				e.startRequestStream(ev, &events[whole])
				i++
				continue
			}
			e.onRequestStream(ev)
		case TopicResponse:
			e.onResponseStream(ev)
		case TopicStreamRequest:
			e.onStreamRequest(ev)
		case TopicStreamControl:
			e.onStreamControl(ev)
		}
	}
}

// onRequestStream starts serving an lk.rpc_request stream at header time and
// hands its body over when it is complete.
func (e *Engine) onRequestStream(ev datastream.Event) {
	key := streamKey{ev.Sender, ev.Header.GetStreamId()}
	if ev.Kind != datastream.Opened {
		if body, ok := e.streams[key]; ok {
			delete(e.streams, key)
			body <- ev // buffered for exactly this one event
		}
		return
	}
	e.startRequestStream(ev, nil)
}

// startRequestStream serves the request an lk.rpc_request header opened:
// whole is its Completed event when the body came with the header (inline),
// else the body is handed over by onRequestStream.
func (e *Engine) startRequestStream(ev datastream.Event, whole *datastream.Event) {
	key := streamKey{ev.Sender, ev.Header.GetStreamId()}
	in, ok := e.parseRequestStream(ev)
	if !ok {
		e.log.Debug("lkrpc: malformed request stream", "sender", ev.Sender, "stream_id", key.streamID,
			"attributes", ev.Header.GetAttributes())
		id := ev.Header.GetAttributes()[AttrRequestID]
		e.goServe(ev.Sender, func(ctx context.Context, _ bool) {
			e.sendError(ctx, ev.Sender, id, rpcerr.BuiltinData(rpcerr.ApplicationError, malformedStream))
		})
		return
	}
	if in.version == versionStream {
		// An RPC v2 request proves that its caller speaks at least client
		// protocol 1, which matters while the room has not announced it.
		e.learnProtocol(ev.Sender, link.ProtocolRPCv2)
	}
	if whole != nil {
		in.payload = whole.Text
		in.transfer = streamTransfer(whole.Info)
		e.goServe(ev.Sender, func(ctx context.Context, overLimit bool) { e.serve(ctx, in, overLimit) })
		return
	}
	body := make(chan datastream.Event, 1)
	in.body = body
	if e.goServe(ev.Sender, func(ctx context.Context, overLimit bool) { e.serve(ctx, in, overLimit) }) {
		e.streams[key] = body
	}
}

// parseRequestStream reads the request from an lk.rpc_request header; it
// reports false when an attribute is missing or unparsable.
func (e *Engine) parseRequestStream(ev datastream.Event) (*inbound, bool) {
	a, ok := parseRequestAttributes(ev.Header.GetAttributes())
	if !ok {
		return nil, false
	}
	return &inbound{
		caller:      ev.Sender,
		id:          a.id,
		method:      a.method,
		version:     a.version,
		wantVersion: versionStream,
		timeout:     e.handlerTimeout(a.timeoutMs),
		received:    time.Now(),
	}, true
}

// onResponseStream completes a call with an lk.rpc_response stream once it
// is complete or has failed.
func (e *Engine) onResponseStream(ev datastream.Event) {
	id := ev.Header.GetAttributes()[AttrRequestID]
	if ev.Kind == datastream.Opened {
		if id != "" {
			e.watchResponse(ev, id)
		}
		return
	}
	delete(e.downloads, streamKey{ev.Sender, ev.Header.GetStreamId()})
	if id == "" {
		e.log.Debug("lkrpc: response stream without request id dropped", "sender", ev.Sender,
			"stream_id", ev.Header.GetStreamId())
		return
	}
	if ev.Kind == datastream.Completed {
		e.pending.resolve(ev.Sender, id, transport.Reply{Payload: ev.Text, Response: streamTransfer(ev.Info)}, nil)
		return
	}
	e.log.Debug("lkrpc: response stream failed", "request_id", id, "sender", ev.Sender, "err", ev.Err)
	e.pending.resolve(ev.Sender, id, transport.Reply{},
		rpcerr.New(rpcerr.ApplicationError, "error reading RPC response payload: "+errText(ev.Err)))
}
