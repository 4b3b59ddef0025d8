package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// loopback is a fake transport.Transport: Call runs the handler registered
// on the same loopback synchronously, as if the caller and handler were two
// participants in a room. It records what crossed it so tests can look at
// the wire payloads.
type loopback struct {
	caller string // identity the handler sees

	mu       sync.Mutex
	handlers map[string]*registration
	calls    []transport.Call
	replies  []string
	seq      int
	// tamper, when set, replaces a successful reply payload before the
	// caller sees it (a misbehaving peer).
	tamper func(string) string
}

type registration struct{ h transport.Handler }

const loopbackDefaultTimeout = 15 * time.Second

func newLoopback() *loopback {
	return &loopback{caller: "alice", handlers: map[string]*registration{}}
}

func (l *loopback) Register(method string, h transport.Handler) (func(), error) {
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

func (l *loopback) registered() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var names []string
	for n := range l.handlers {
		names = append(names, n)
	}
	return names
}

func (l *loopback) lastCall() transport.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[len(l.calls)-1]
}

func (l *loopback) lastReply() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.replies[len(l.replies)-1]
}

func (l *loopback) Call(ctx context.Context, call transport.Call) (transport.Reply, error) {
	l.mu.Lock()
	l.calls = append(l.calls, call)
	l.seq++
	id := fmt.Sprintf("req-%d", l.seq)
	reg := l.handlers[call.Method]
	tamper := l.tamper
	l.mu.Unlock()

	kind := transport.KindPacket
	if call.Route == transport.RouteStream {
		kind = transport.KindStream
	}
	reqTransfer := transport.Transfer{Kind: kind, Packets: 1, WireBytes: len(call.Payload)}
	if reg == nil {
		return transport.Reply{Request: reqTransfer}, rpcerr.New(rpcerr.UnsupportedMethod, "Method not supported at destination")
	}
	timeout := call.Timeout
	if timeout == 0 {
		timeout = loopbackDefaultTimeout
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	payload, err := reg.h(hctx, &transport.Request{
		Caller:          l.caller,
		RequestID:       id,
		Method:          call.Method,
		Payload:         call.Payload,
		ResponseTimeout: timeout,
		Transfer:        reqTransfer,
	})
	if ctxErr := hctx.Err(); ctxErr != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return transport.Reply{Request: reqTransfer}, fmt.Errorf("loopback: %w", context.Canceled)
		}
		return transport.Reply{Request: reqTransfer}, rpcerr.New(rpcerr.ResponseTimeout, "Response timeout")
	}
	if err != nil {
		e, ok := rpcerr.From(err)
		if !ok {
			e = rpcerr.New(rpcerr.ApplicationError, "Application error in method handler")
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
		Response: transport.Transfer{Kind: kind, Packets: 1, WireBytes: len(payload)},
	}, nil
}
