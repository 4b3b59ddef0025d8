package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The join window (PROTOCOL.md §7; the package doc says why): when to wait
// for the room's word on a participant, for how long, and how a call ends
// when it does not come.

// Debug messages around a call's wait for its destination; tests wait for
// them, and the waited attribute measures the join window.
const (
	logAwaiting  = "lkrpc: destination not announced yet; waiting for the room"
	logAnnounced = "lkrpc: destination announced"
)

// mustWait reports whether a payload for dest should wait for the room to
// announce dest before its form is chosen: only when waiting can change
// the outcome. A peer the room has not announced and that has not proved a
// protocol by its own requests counts as protocol 0; a payload that fits a
// v1 packet goes at once as one, which every peer accepts, and a forced
// form is sent as forced. Only a payload too large for a packet would fail
// (1402, 1504) for want of knowing.
func mustWait(dest peer, size int, force transport.Form) bool {
	return !dest.announced && dest.ClientProtocol < link.ProtocolRPCv2 &&
		force == transport.FormNone && size > MaxPacketPayload
}

// awaitDestination waits up to bound for the room to announce identity.
// The bound is the call's ack deadline or its response deadline, whichever
// comes first: a destination that is not in the room by then would not
// have acked either, and the call fails with 1401 (RecipientNotFound).
// ctx ending fails the call as ctx does; the engine or link ending, with
// 1503.
func (e *Engine) awaitDestination(ctx context.Context, identity string, bound time.Duration) (peer, error) {
	wctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	start := time.Now()
	e.log.Debug(logAwaiting, "destination", identity, "bound", bound)
	p, err := e.WaitParticipant(wctx, identity)
	switch {
	case err == nil:
		e.log.Debug(logAnnounced, "destination", identity, "waited", time.Since(start),
			"client_protocol", p.ClientProtocol)
		return peer{Participant: p, announced: true}, nil
	case ctx.Err() != nil:
		return peer{}, rpcerr.FromContext(ctx)
	case wctx.Err() != nil:
		return peer{}, notFound(identity, bound)
	}
	if cerr := e.pending.closedErr(); cerr != nil {
		return peer{}, cerr
	}
	return peer{}, rpcerr.New(rpcerr.RecipientDisconnected, "link lost: "+err.Error())
}

// notFound is how a call ends when the room has not announced its
// destination within the call's ack deadline (or its response deadline,
// when that is sooner).
func notFound(identity string, within time.Duration) *rpcerr.Error {
	return rpcerr.BuiltinData(rpcerr.RecipientNotFound,
		fmt.Sprintf("participant %s is not in the room: the room did not announce it within %v", identity, within))
}

// noAck is how a call ends without an ack: 1501, or 1401 when the room has
// not announced the destination by then either (it is not in the room: the
// SFU dropped the request), as a call that waited for it would end.
func (e *Engine) noAck(dest string) *rpcerr.Error {
	if _, ok := e.link.Participant(dest); !ok {
		return notFound(dest, e.cfg.ackTimeout)
	}
	return rpcerr.Builtin(rpcerr.ConnectionTimeout)
}

// replyPeer is what is known of the caller when its reply is ready. A
// caller the room has not announced yet that sent its request as a v1
// packet has proved nothing: when the reply is too large for a packet, the
// room's word decides between a stream and 1504, so it is awaited until the
// caller stops waiting (deadline); the server's RoomService API, which never
// joins, is not. It reports false when there is nobody
// left to answer (the caller left, the engine ended).
func (e *Engine) replyPeer(ctx context.Context, in *inbound, size int, deadline time.Time) (peer, bool) {
	caller := e.peer(in.caller)
	if in.serverAPI || !mustWait(caller, size, transport.FormNone) {
		// The server's API caller is never announced: nothing to wait for.
		return caller, true
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := time.Now()
	e.log.Debug("lkrpc: caller not announced yet; waiting for the room before replying",
		"caller", in.caller, "request_id", in.id, "reply_bytes", size)
	p, err := e.WaitParticipant(wctx, in.caller)
	switch {
	case err == nil:
		e.log.Debug("lkrpc: caller announced", "caller", in.caller, "request_id", in.id,
			"waited", time.Since(start), "client_protocol", p.ClientProtocol)
		return peer{Participant: p, announced: true}, true
	case ctx.Err() == nil && wctx.Err() != nil:
		// Past the deadline: 1504 saying the caller was never announced.
		return caller, true
	}
	return peer{}, false // the caller left, or the engine or its link ended
}
