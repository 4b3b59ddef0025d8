package engine

import (
	"context"
	"fmt"
	"maps"
	"time"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// inbound is one request being served, from a v1 packet or a v2 stream.
type inbound struct {
	caller      string
	id          string
	method      string
	version     int // as sent
	wantVersion int // what this form requires
	timeout     time.Duration
	received    time.Time // the handler's deadline runs from here: when the whole request arrived
	payload     string    // v1: the payload
	transfer    transport.Transfer
	body        <-chan datastream.Event // v2: the stream's Completed or Failed event
	// serverAPI: the request comes from the server itself on behalf of its
	// RoomService PerformRpc API (see fromServerAPI), which never joins
	// the room and takes RPC v1 replies only.
	serverAPI bool
}

// onRequestPacket serves an RPC v1 RpcRequest (receive goroutine).
func (e *Engine) onRequestPacket(caller, callerSID string, req *livekit.RpcRequest) {
	in := &inbound{
		serverAPI:   fromServerAPI(caller, callerSID, req.GetId()),
		caller:      caller,
		id:          req.GetId(),
		method:      req.GetMethod(),
		version:     int(req.GetVersion()),
		wantVersion: versionPacket,
		timeout:     e.handlerTimeout(int64(req.GetResponseTimeoutMs())),
		received:    time.Now(),
		payload:     req.GetPayload(),
		transfer:    transport.PacketTransfer(req.GetPayload()),
	}
	e.goServe(caller, func(ctx context.Context, overLimit bool) { e.serve(ctx, in, overLimit) })
}

// fromServerAPI reports whether a request packet comes from livekit-server's
// RoomService PerformRpc rather than a participant: the server sends it
// under a caller identity equal to the request id and without a
// participant SID (seen with livekit-server v1.13.5; a participant's
// packets carry its SID, and its identity is its own).
func fromServerAPI(caller, callerSID, requestID string) bool {
	return callerSID == "" && caller != "" && caller == requestID
}

// handlerTimeout turns the advisory response_timeout_ms into the handler's
// deadline; a missing (zero) value means the engine default.
func (e *Engine) handlerTimeout(ms int64) time.Duration {
	if ms <= 0 {
		return e.cfg.defaultTimeout
	}
	return time.Duration(ms) * time.Millisecond
}

// serve answers one request: ack first, then the checks of PROTOCOL.md §2
// and §3.3, the handler, and the reply.
func (e *Engine) serve(ctx context.Context, in *inbound, overLimit bool) {
	e.sendControl(ctx, ackPacket(in.caller, in.id))
	if overLimit {
		e.sendError(ctx, in.caller, in.id, rpcerr.BuiltinData(rpcerr.ApplicationError,
			fmt.Sprintf("too many concurrent requests from caller (limit %d)", e.cfg.limits.MaxRequestsPerSender)))
		return
	}
	if in.version != in.wantVersion {
		e.sendError(ctx, in.caller, in.id, rpcerr.Builtin(rpcerr.UnsupportedVersion))
		return
	}

	if in.body != nil && !e.awaitBody(ctx, in) {
		return
	}

	h := e.handlers.lookup(in.method)
	if h == nil {
		e.sendError(ctx, in.caller, in.id, rpcerr.Builtin(rpcerr.UnsupportedMethod))
		return
	}
	// The caller's response timer starts once its upload is done, so the
	// handler's deadline runs from when the whole request was here.
	deadline := in.received.Add(in.timeout)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	payload, err := e.runHandler(hctx, h, in)
	if err != nil {
		e.sendError(ctx, in.caller, in.id, wireError(err))
		return
	}
	e.reply(ctx, in, payload, deadline)
}

// awaitBody waits for a request stream's body. It reports false when there
// is nothing to run: the stream failed (1500 sent) or the caller left or the
// engine closed (nothing to send to). An upload that never ends is held
// until its sender finishes, aborts or leaves; the assembler's
// MaxStreamsPerSender bounds how many a sender can hold open.
func (e *Engine) awaitBody(ctx context.Context, in *inbound) bool {
	select {
	case ev := <-in.body:
		if ev.Kind != datastream.Completed {
			e.log.Debug("lkrpc: request stream failed", "request_id", in.id, "caller", in.caller, "err", ev.Err)
			e.sendError(ctx, in.caller, in.id,
				rpcerr.BuiltinData(rpcerr.ApplicationError, "Error reading RPC request payload: "+errText(ev.Err)))
			return false
		}
		in.payload = ev.Text
		in.transfer = streamTransfer(ev.Info)
		in.received = time.Now()
		return true
	case <-ctx.Done():
		return false
	}
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// runHandler calls h through transport.Run, the one place that turns a
// handler's panic into 1500 and logs what the caller will not be told.
func (e *Engine) runHandler(ctx context.Context, h transport.Handler, in *inbound) (payload string, err error) {
	req := &transport.Request{
		Caller:          in.caller,
		RequestID:       in.id,
		Method:          in.method,
		Payload:         in.payload,
		ResponseTimeout: in.timeout,
		Transfer:        in.transfer,
	}
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
	}
	e.describeCaller(req)
	return transport.Run(ctx, h, req, e.log)
}

// describeCaller adds what the room says about the caller (kind and
// attributes), so authorizers can decide on more than the identity. A
// caller the room does not know (any more) gets neither.
func (e *Engine) describeCaller(req *transport.Request) {
	p, ok := e.link.Participant(req.Caller)
	if !ok {
		return
	}
	req.CallerKind = p.Kind.String()
	if len(p.Attributes) > 0 {
		req.CallerAttributes = maps.Clone(p.Attributes)
	}
}

// wireError is what the caller gets for a handler's error: an *rpcerr.Error
// as is, anything else as 1500 (transport.Run has logged its text).
func wireError(err error) *rpcerr.Error {
	if re, ok := rpcerr.From(err); ok {
		return re
	}
	return rpcerr.Builtin(rpcerr.ApplicationError)
}

// reply sends a successful result the way the caller's client protocol
// allows: a packet, a plain stream, or an inline/compressed stream.
func (e *Engine) reply(ctx context.Context, in *inbound, payload string, deadline time.Time) {
	if !utf8.ValidString(payload) {
		e.log.Warn("lkrpc: handler returned invalid UTF-8, answering 1500", "method", in.method, "request_id", in.id)
		e.sendError(ctx, in.caller, in.id, rpcerr.BuiltinData(rpcerr.ApplicationError, "handler returned a payload that is not valid UTF-8"))
		return
	}
	caller, ok := e.replyPeer(ctx, in, len(payload), deadline)
	if !ok {
		return
	}
	f, rerr := e.chooseForm(caller, len(payload), transport.FormNone, rpcerr.ResponsePayloadTooLarge)
	if rerr != nil && in.serverAPI {
		rerr = rpcerr.BuiltinData(rpcerr.ResponsePayloadTooLarge, fmt.Sprintf(
			"response of %d bytes is over the %d-byte RPC v1 limit, and the caller is the server's RoomService API, which takes RPC v1 replies only",
			len(payload), MaxPacketPayload))
	}
	if rerr != nil {
		e.sendError(ctx, in.caller, in.id, rerr)
		return
	}
	if !f.stream {
		e.sendControl(ctx, responsePacket(in.caller, in.id, payload))
		return
	}
	out := datastream.Outgoing{
		StreamID:     e.cfg.newID(),
		Topic:        TopicResponse,
		Timestamp:    e.cfg.now().UnixMilli(),
		Attributes:   map[string]string{AttrRequestID: in.id},
		Destinations: []string{in.caller},
		Text:         payload,
	}
	if _, err := e.sendStream(ctx, out, f.opts); err != nil {
		e.log.Debug("lkrpc: sending response stream failed", "request_id", in.id, "caller", in.caller, "err", err)
	}
}
