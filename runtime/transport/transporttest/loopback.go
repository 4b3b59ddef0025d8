// Package transporttest provides an in-process transport.Transport for
// tests of code above the protocol engine: the typed runtime and generated
// code. Loopback hands each call straight to the handler registered on the
// same value, as if caller and handler were two participants in a room, and
// records what crossed it. Tests of the wire protocol use the engine on
// memroom instead.
package transporttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// quiet is where a Loopback logs handler panics: tests that look at logs
// use the engine on memroom.
var quiet = slog.New(slog.DiscardHandler)

// DefaultTimeout is the handler deadline of a call that sets no timeout.
const DefaultTimeout = 15 * time.Second

// Loopback is a transport.Transport whose calls run the handlers registered
// on it, synchronously. It maps failures as the engine does: an unregistered
// method is 1400, a handler's *rpcerr.Error is returned truncated, any other
// handler error is 1500, the handler's deadline is 1502 and cancellation
// wraps context.Canceled.
type Loopback struct {
	caller string // identity the handler sees

	mu       sync.Mutex
	handlers map[string]*registration
	calls    []transport.Call
	replies  []string
	seq      int
	tamper   func(string) string
}

type registration struct{ h transport.Handler }

// NewLoopback returns a Loopback whose handlers see caller as the calling
// participant's identity.
func NewLoopback(caller string) *Loopback {
	return &Loopback{caller: caller, handlers: map[string]*registration{}}
}

// Register implements transport.Transport.
func (l *Loopback) Register(method string, h transport.Handler) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.handlers[method]; dup {
		return nil, fmt.Errorf("method %q is already registered", method)
	}
	reg := &registration{h: h}
	l.handlers[method] = reg
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.handlers[method] == reg {
			delete(l.handlers, method)
		}
	}, nil
}

// Call implements transport.Transport.
func (l *Loopback) Call(ctx context.Context, call transport.Call) (transport.Reply, error) {
	l.mu.Lock()
	l.calls = append(l.calls, call)
	l.seq++
	id := fmt.Sprintf("req-%d", l.seq)
	reg := l.handlers[call.Method]
	tamper := l.tamper
	l.mu.Unlock()

	kind := transport.FormPacket
	if call.Force == transport.FormStream {
		kind = transport.FormStream
	}
	reqTransfer := transport.Transfer{Form: kind, Packets: 1, WireBytes: len(call.Payload)}
	if reg == nil {
		return transport.Reply{Request: reqTransfer}, rpcerr.Builtin(rpcerr.UnsupportedMethod)
	}
	timeout, err := transport.ResponseTimeout(ctx, call.Timeout, DefaultTimeout)
	if err != nil {
		return transport.Reply{}, err
	}
	deadline := time.Now().Add(timeout)
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	payload, err := transport.Run(hctx, reg.h, &transport.Request{
		Caller:          l.caller,
		RequestID:       id,
		Method:          call.Method,
		Payload:         call.Payload,
		ResponseTimeout: timeout,
		Deadline:        deadline,
		Transfer:        reqTransfer,
	}, quiet)
	if ctxErr := hctx.Err(); ctxErr != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return transport.Reply{Request: reqTransfer}, fmt.Errorf("loopback: %w", context.Canceled)
		}
		return transport.Reply{Request: reqTransfer}, rpcerr.Builtin(rpcerr.ResponseTimeout)
	}
	if err != nil {
		e, ok := rpcerr.From(err)
		if !ok {
			e = rpcerr.Builtin(rpcerr.ApplicationError)
		}
		return transport.Reply{Request: reqTransfer}, e.Truncated()
	}
	l.mu.Lock()
	l.replies = append(l.replies, payload)
	l.mu.Unlock()
	if tamper != nil {
		payload = tamper(payload)
	}
	return transport.Reply{
		Payload:  payload,
		Request:  reqTransfer,
		Response: transport.Transfer{Form: kind, Packets: 1, WireBytes: len(payload)},
	}, nil
}

// Registered returns the methods registered now, in no particular order.
func (l *Loopback) Registered() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.handlers))
	for n := range l.handlers {
		names = append(names, n)
	}
	return names
}

// Calls returns every call made so far, in order.
func (l *Loopback) Calls() []transport.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]transport.Call(nil), l.calls...)
}

// LastCall returns the most recent call; it panics when there was none.
func (l *Loopback) LastCall() transport.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[len(l.calls)-1]
}

// LastReply returns the payload of the most recent successful reply as the
// handler produced it; it panics when there was none.
func (l *Loopback) LastReply() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.replies[len(l.replies)-1]
}

// SetTamper makes every later successful reply pass through f before the
// caller sees it, as a misbehaving peer would change it; nil stops it.
func (l *Loopback) SetTamper(f func(reply string) string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tamper = f
}
