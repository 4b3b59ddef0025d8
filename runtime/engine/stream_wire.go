package engine

import (
	"context"
	"strconv"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The wire of lkrpc's server streaming (PROTOCOL.md §8): its own topics,
// never under lk., and attributes under lkrpc.
const (
	TopicStreamRequest = "lkrpc.stream.request"
	TopicStreamReply   = "lkrpc.stream.reply"
	TopicStreamControl = "lkrpc.stream.control"

	AttrStreamID       = "lkrpc.id"
	AttrStreamMethod   = "lkrpc.method"
	AttrStreamVersion  = "lkrpc.v"
	AttrStreamWindow   = "lkrpc.window"
	AttrStreamFirstMs  = "lkrpc.first_ms"
	AttrStreamOp       = "lkrpc.op"
	AttrStreamConsumed = "lkrpc.consumed"

	streamWireVersion = "1"
	opCredit          = "credit"
	opCancel          = "cancel"
)

// MaxStreamsPerCaller bounds the streaming calls one caller may have
// running at a handler (PROTOCOL.md §8.4).
const MaxStreamsPerCaller = 64

// controlStream is a control message (credit or cancel) for call id.
func (e *Engine) controlStream(dest, id, op string, consumed int64) datastream.Outgoing {
	attrs := map[string]string{AttrStreamID: id, AttrStreamOp: op}
	if op == opCredit {
		attrs[AttrStreamConsumed] = strconv.FormatInt(consumed, 10)
	}
	return datastream.Outgoing{
		StreamID:     e.cfg.newID(),
		Topic:        TopicStreamControl,
		Timestamp:    e.cfg.now().UnixMilli(),
		Attributes:   attrs,
		Destinations: []string{dest},
	}
}

// sendControlStream sends a control message in the background: the
// caller's goroutine must not wait on the link, and credits are cumulative,
// so their order does not matter.
func (e *Engine) sendControlStream(dest, id, op string, consumed int64) {
	e.goTracked(func() {
		out := e.controlStream(dest, id, op, consumed)
		ctx, cancel := context.WithTimeout(e.life, e.cfg.ackTimeout)
		defer cancel()
		if _, err := e.sendStream(ctx, out, e.streamSendOptions(dest)); err != nil {
			e.log.Debug("lkrpc: sending stream control failed", "to", dest, "call_id", id, "op", op, "err", err)
		}
	})
}

// streamSendOptions are the forms dest accepts for a whole stream (§4).
func (e *Engine) streamSendOptions(dest string) datastream.SendOptions {
	f, _ := e.chooseForm(e.peer(dest), 0, transport.FormStream, 0)
	return f.opts
}
