package engine

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/lkrpc/lkrpc/internal/presize"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Call sends c and waits for the reply; see transport.Transport.
func (e *Engine) Call(ctx context.Context, c transport.Call) (transport.Reply, error) {
	presize.Call(0)
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
	f, rerr := e.requestForm(dest, len(c.Payload), c.Force)
	if rerr != nil {
		return transport.Reply{}, rerr
	}
	p, err := e.addPending(ctx, c, e.cfg.newID(), f.stream)
	if err != nil {
		return transport.Reply{}, err
	}
	sendCtx := p.upload()

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
		e.pending.finish(p, transport.Reply{}, rpcerr.New(rpcerr.RecipientDisconnected, "link lost: "+sendErr.Error()))
	case sendCtx.Err() == nil:
		// The call is still pending, so the failure is the link's own.
		e.pending.finish(p, transport.Reply{}, rpcerr.New(rpcerr.SendFailed, "failed to send request: "+sendErr.Error()))
	default:
		// Another path ended the call (and cancelled the upload).
	}

	if f.stream {
		<-p.done // the ctx watcher ends the call
	} else {
		// A packet's Send does not wait (link.IsControl), so this
		// goroutine watches ctx itself, without registering with it.
		select {
		case <-p.done:
		case <-ctx.Done():
			e.pending.finish(p, transport.Reply{}, rpcerr.FromContext(ctx))
			<-p.done
		}
	}
	p.progress.stop()
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

// addPending enters a new call in the pending table. Its upload context
// (p.upload) ends with the call. A call that uploads a stream (watch) has
// its ctx watched from the moment it is in the table, so that cancelling
// ctx also stops the upload; a packet's send does not wait, and Call
// watches ctx itself afterwards, without the AfterFunc's registration
// with ctx (every call of a burst took the same ctx's lock twice).
func (e *Engine) addPending(ctx context.Context, c transport.Call, id string, watch bool) (*pendingCall, error) {
	p := &pendingCall{id: id, dest: c.Destination, done: make(chan struct{}), progress: newReporter(c.Progress)}
	// The watcher is armed while p is in the table, so that settle (which
	// runs only after p has been taken out) always sees it. A context that
	// is never done (context.Background) needs none.
	var arm func()
	if watch && ctx.Done() != nil {
		arm = func() {
			p.stopWatch = context.AfterFunc(ctx, func() {
				e.pending.finish(p, transport.Reply{}, rpcerr.FromContext(ctx))
			})
		}
	}
	if err := e.pending.add(p, arm); err != nil {
		return nil, err
	}
	return p, nil
}

// armAckTimer sets the ack deadline right before the request's first
// packet is published (PROTOCOL.md §2: armed before publishing), and after
// what is compressed before it: deflating a large payload whole took time
// (seconds for 10 MiB on a loaded machine) that is not the peer's to answer
// for. (From datastream.StreamCompressMin up, only its first part is
// compressed before the header, which a v2 handler acks.)
func (e *Engine) armAckTimer(p *pendingCall) {
	by := time.Now().Add(e.cfg.ackTimeout)
	e.setDeadline(p, func(p *pendingCall) { p.ackBy = by })
}

// armResponseTimer sets the response deadline once the request is
// published, unless the call has already ended.
func (e *Engine) armResponseTimer(p *pendingCall, timeout time.Duration) {
	by := time.Now().Add(timeout)
	e.setDeadline(p, func(p *pendingCall) { p.replyBy = by })
}

// publishRequestPacket sends c as an RPC v1 RpcRequest.
func (e *Engine) publishRequestPacket(ctx context.Context, p *pendingCall, c transport.Call, timeout time.Duration) (transport.Transfer, error) {
	pkt := requestPacket(c.Destination, p.id, c.Method, c.Payload, transport.TimeoutMillis(timeout))
	e.armAckTimer(p)
	if err := e.link.Send(ctx, pkt); err != nil {
		return transport.Transfer{}, err
	}
	sent := transport.PacketTransfer(c.Payload)
	p.progress.report(transport.Progress{Bytes: int64(sent.WireBytes), Total: int64(sent.WireBytes)})
	return sent, nil
}

// publishRequestStream sends c as an RPC v2 lk.rpc_request stream.
func (e *Engine) publishRequestStream(ctx context.Context, p *pendingCall, c transport.Call, f form, timeout time.Duration) (transport.Transfer, error) {
	out := datastream.Outgoing{
		StreamID:     e.cfg.newID(),
		Topic:        TopicRequest,
		Timestamp:    e.cfg.now().UnixMilli(),
		Attributes:   requestAttributes(p.id, c.Method, transport.TimeoutMillis(timeout)),
		Destinations: []string{c.Destination},
		Text:         c.Payload,
	}
	packets, _, err := datastream.EncodeOwned(out, f.opts)
	if err != nil {
		return transport.Transfer{}, err
	}
	e.armAckTimer(p)
	if err := e.publishStream(ctx, out, &packets, uploadProgress(p.progress, &packets)); err != nil {
		return transport.Transfer{}, err
	}
	return streamTransfer(packets.Info()), nil
}
