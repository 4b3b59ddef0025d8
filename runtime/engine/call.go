package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// pendingCall is one outgoing call awaiting its ack and response. It is in
// Engine.pending from registration until exactly one completion path removes
// it (detach) and settles it; the fields below done are guarded by Engine.mu
// while it is in the table.
type pendingCall struct {
	id   string
	dest string
	done chan struct{} // closed by settle

	// Written by settle before done is closed; read after.
	reply transport.Reply
	err   error

	acked      bool
	ackTimer   *time.Timer // armed just before the request is published
	respTimer  *time.Timer
	stopWatch  func() bool        // stops the ctx watcher
	cancelSend context.CancelFunc // stops the request upload
}

// settle completes a call that has been removed from the pending table. Only
// the path that removed it calls settle, so it runs once per call.
func (p *pendingCall) settle(reply transport.Reply, err error) {
	if p.ackTimer != nil {
		p.ackTimer.Stop()
	}
	if p.respTimer != nil {
		p.respTimer.Stop()
	}
	p.stopWatch()
	p.cancelSend()
	p.reply, p.err = reply, err
	close(p.done)
}

// Call sends c and waits for the reply; see transport.Transport.
func (e *Engine) Call(ctx context.Context, c transport.Call) (transport.Reply, error) {
	if err := validateCall(c); err != nil {
		return transport.Reply{}, err
	}
	if ctx.Err() != nil {
		return transport.Reply{}, rpcerr.FromContext(ctx)
	}
	timeout, err := transport.ResponseTimeout(ctx, c.Timeout, e.cfg.defaultTimeout)
	if err != nil {
		return transport.Reply{}, err
	}
	dest := e.peer(c.Destination)
	if mustWait(dest, len(c.Payload), c.Force) {
		start := time.Now()
		if dest, err = e.awaitDestination(ctx, c.Destination, min(e.cfg.ackTimeout, timeout)); err != nil {
			return transport.Reply{}, err
		}
		// The response deadline runs from the call's start: the wait is
		// part of it, and what is left is what the handler is told.
		timeout = max(timeout-time.Since(start), time.Millisecond)
	}
	f, rerr := e.chooseForm(dest, len(c.Payload), c.Force, rpcerr.RequestPayloadTooLarge)
	if rerr != nil {
		return transport.Reply{}, rerr
	}
	p, sendCtx, err := e.addPending(ctx, c, e.cfg.newID())
	if err != nil {
		return transport.Reply{}, err
	}

	var sent transport.Transfer
	var sendErr error
	if f.stream {
		sent, sendErr = e.publishRequestStream(sendCtx, p, c, f, timeout)
	} else {
		sent, sendErr = e.publishRequestPacket(sendCtx, p, c, timeout)
	}
	switch {
	case sendErr == nil:
		e.armResponseTimer(p, timeout)
	case sendCtx.Err() == nil && errors.Is(sendErr, link.ErrClosed):
		// The link went before it could report it: the same outcome as
		// Disconnected, whichever comes first.
		e.finish(p, transport.Reply{}, rpcerr.New(rpcerr.RecipientDisconnected, "link lost: "+sendErr.Error()))
	case sendCtx.Err() == nil:
		// The call is still pending, so the failure is the link's own.
		e.finish(p, transport.Reply{}, rpcerr.New(rpcerr.SendFailed, "failed to send request: "+sendErr.Error()))
	default:
		// Another path ended the call (and cancelled the upload).
	}

	<-p.done
	if p.err != nil {
		return transport.Reply{Request: sent}, p.err
	}
	reply := p.reply
	reply.Request = sent
	return reply, nil
}

// validateCall refuses what cannot be put on the wire at all.
func validateCall(c transport.Call) error {
	switch {
	case c.Destination == "":
		return rpcerr.New(rpcerr.RecipientNotFound, "invalid call: empty destination identity")
	case c.Method == "":
		return rpcerr.New(rpcerr.SendFailed, "invalid call: empty method name")
	case !utf8.ValidString(c.Method):
		return rpcerr.New(rpcerr.SendFailed, "invalid call: method name is not valid UTF-8")
	case !utf8.ValidString(c.Payload):
		return rpcerr.New(rpcerr.SendFailed, "invalid call: payload is not valid UTF-8")
	case c.Timeout < 0:
		return rpcerr.Newf(rpcerr.SendFailed, "invalid call: negative timeout %v", c.Timeout)
	}
	return nil
}

// mustWait reports whether a call should wait for the room to announce its
// destination before choosing the request's form (PROTOCOL.md §7): only
// when waiting can change the outcome. A destination the room has not
// announced and that has not proved a protocol by its own requests counts
// as protocol 0; a payload that fits a v1 packet goes at once as one, which
// every peer accepts, and a forced form is sent as forced. Only a payload
// too large for a packet would fail (1402) for want of knowing.
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
	if uerr := e.unavailable(); uerr != nil {
		return peer{}, uerr
	}
	return peer{}, rpcerr.New(rpcerr.RecipientDisconnected, "link lost: "+err.Error())
}

// Debug messages around a call's wait for its destination; tests wait for
// them, and the waited attribute measures the join window.
const (
	logAwaiting  = "lkrpc: destination not announced yet; waiting for the room"
	logAnnounced = "lkrpc: destination announced"
)

// notFound is how a call ends when the room has not announced its
// destination within the call's ack deadline (or its response deadline,
// when that is sooner).
func notFound(identity string, within time.Duration) *rpcerr.Error {
	return rpcerr.BuiltinData(rpcerr.RecipientNotFound,
		fmt.Sprintf("participant %s is not in the room: the room did not announce it within %v", identity, within))
}

// unavailable is the error of a new call when the engine is closed or its
// link lost; nil otherwise. Each caller gets its own error value.
func (e *Engine) unavailable() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unavailableLocked()
}

func (e *Engine) unavailableLocked() error {
	switch {
	case e.closed:
		return rpcerr.New(rpcerr.RecipientDisconnected, "engine closed")
	case e.lost != nil:
		lost := *e.lost
		return &lost
	}
	return nil
}

// timeoutMillis is d as the wire's response_timeout_ms.
func timeoutMillis(d time.Duration) uint32 {
	ms := max(d.Milliseconds(), 1)
	return uint32(min(ms, math.MaxUint32))
}

// addPending enters a new call in the pending table and arms its ctx
// watcher. The returned context governs the upload and ends with the call.
func (e *Engine) addPending(ctx context.Context, c transport.Call, id string) (*pendingCall, context.Context, error) {
	sendCtx, cancelSend := context.WithCancel(e.life)
	p := &pendingCall{id: id, dest: c.Destination, done: make(chan struct{}), cancelSend: cancelSend}

	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.unavailableLocked(); err != nil {
		cancelSend()
		return nil, nil, err
	}
	if e.pending[id] != nil {
		cancelSend()
		return nil, nil, rpcerr.New(rpcerr.SendFailed, "duplicate request id "+id+" (check WithIDs)")
	}
	e.pending[id] = p
	p.stopWatch = context.AfterFunc(ctx, func() {
		e.finish(p, transport.Reply{}, rpcerr.FromContext(ctx))
	})
	return p, sendCtx, nil
}

// armAckTimer starts the ack timer right before the request's first packet
// is published (PROTOCOL.md §2: armed before publishing), and after any
// compression: deflating a large payload takes time (seconds for 10 MiB on a
// loaded machine) that is not the peer's to answer for.
func (e *Engine) armAckTimer(p *pendingCall) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending[p.id] != p {
		return
	}
	p.ackTimer = time.AfterFunc(e.cfg.ackTimeout, func() {
		e.finish(p, transport.Reply{}, e.noAck(p.dest))
	})
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

// armResponseTimer starts the response timer once the request is published,
// unless the call has already ended.
func (e *Engine) armResponseTimer(p *pendingCall, timeout time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending[p.id] != p {
		return
	}
	p.respTimer = time.AfterFunc(timeout, func() {
		e.finish(p, transport.Reply{}, rpcerr.Builtin(rpcerr.ResponseTimeout))
	})
}

// finish completes p unless another path already did.
func (e *Engine) finish(p *pendingCall, reply transport.Reply, err error) bool {
	e.mu.Lock()
	if e.pending[p.id] != p {
		e.mu.Unlock()
		return false
	}
	delete(e.pending, p.id)
	e.mu.Unlock()
	p.settle(reply, err)
	return true
}

// resolve completes the call id with what sender answered. Answers for
// unknown calls, and from anyone but the participant called, are dropped.
func (e *Engine) resolve(sender, id string, reply transport.Reply, err error) {
	e.mu.Lock()
	p := e.pending[id]
	switch {
	case p == nil:
		e.mu.Unlock()
		e.log.Debug("lkrpc: response for unknown or finished call dropped", "request_id", id, "sender", sender)
		return
	case p.dest != sender:
		e.mu.Unlock()
		e.log.Debug("lkrpc: response from unexpected sender ignored",
			"request_id", id, "sender", sender, "expected", p.dest)
		return
	}
	delete(e.pending, id)
	e.mu.Unlock()
	p.settle(reply, err)
}

// acknowledge stops the ack timer of call id when sender is its destination.
func (e *Engine) acknowledge(sender, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.pending[id]
	switch {
	case p == nil:
		e.log.Debug("lkrpc: ack for unknown or finished call dropped", "request_id", id, "sender", sender)
	case p.dest != sender:
		e.log.Debug("lkrpc: ack from unexpected sender ignored", "request_id", id, "sender", sender, "expected", p.dest)
	case !p.acked:
		p.acked = true
		if p.ackTimer != nil {
			p.ackTimer.Stop()
		}
	}
}

// failCallsTo ends every pending call to dest with 1503 (it left the room).
func (e *Engine) failCallsTo(dest string) {
	e.mu.Lock()
	var calls []*pendingCall
	for id, p := range e.pending {
		if p.dest == dest {
			delete(e.pending, id)
			calls = append(calls, p)
		}
	}
	e.mu.Unlock()
	for _, p := range calls {
		p.settle(transport.Reply{}, rpcerr.Builtin(rpcerr.RecipientDisconnected))
	}
}

// detachAllLocked empties the pending table and returns its calls for the
// caller to settle outside the lock.
func (e *Engine) detachAllLocked() []*pendingCall {
	calls := make([]*pendingCall, 0, len(e.pending))
	for id, p := range e.pending {
		delete(e.pending, id)
		calls = append(calls, p)
	}
	return calls
}

// publishRequestPacket sends c as an RPC v1 RpcRequest.
func (e *Engine) publishRequestPacket(ctx context.Context, p *pendingCall, c transport.Call, timeout time.Duration) (transport.Transfer, error) {
	pkt := requestPacket(c.Destination, p.id, c.Method, c.Payload, timeoutMillis(timeout))
	e.armAckTimer(p)
	if err := e.link.Send(ctx, pkt); err != nil {
		return transport.Transfer{}, err
	}
	return packetTransfer(c.Payload), nil
}

// publishRequestStream sends c as an RPC v2 lk.rpc_request stream.
func (e *Engine) publishRequestStream(ctx context.Context, p *pendingCall, c transport.Call, f form, timeout time.Duration) (transport.Transfer, error) {
	out := datastream.Outgoing{
		StreamID:     e.cfg.newID(),
		Topic:        TopicRequest,
		Timestamp:    e.cfg.now().UnixMilli(),
		Attributes:   requestAttributes(p.id, c.Method, timeoutMillis(timeout)),
		Destinations: []string{c.Destination},
		Text:         c.Payload,
	}
	packets, info, err := datastream.Encode(out, f.opts)
	if err != nil {
		return transport.Transfer{}, err
	}
	e.armAckTimer(p)
	if err := e.publishStream(ctx, out, packets); err != nil {
		return transport.Transfer{}, err
	}
	return streamTransfer(info), nil
}
