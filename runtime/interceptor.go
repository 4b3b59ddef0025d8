package runtime

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// ClientCall is one typed call on its way out. Interceptors may read and
// change it before calling next: the codec, timeout and route are the
// resolved values (options and method defaults already applied) and are
// used as they are when next encodes and sends. Response is filled by next.
type ClientCall struct {
	Method      *Method
	Destination string
	Request     proto.Message
	Response    proto.Message
	Codec       CodecName      // never CodecDefault once resolved
	Timeout     time.Duration  // 0: the ctx deadline or the transport's default
	Form        transport.Form // FormNone unless forced
}

// Invoker sends a call and decodes its reply into call.Response.
type Invoker func(ctx context.Context, call *ClientCall) error

// ClientInterceptor wraps a call: it may act before and after next, change
// the call or ctx, retry, or answer without calling next at all.
//
// Order: interceptors run in the order given, the first one outermost.
// Those from NewClient's options run before (outside) those given to a
// single call.
type ClientInterceptor func(ctx context.Context, call *ClientCall, next Invoker) error

// UnaryHandler runs a handler (and the interceptors inside this one) on a
// decoded request.
type UnaryHandler func(ctx context.Context, req proto.Message) (proto.Message, error)

// HandlerInfo tells a server interceptor which method and caller it serves.
type HandlerInfo struct {
	Method *Method
	Caller Caller
}

// ServerInterceptor wraps a handler: it sees the decoded request and the
// handler's response or error, and may replace either.
//
// Order: interceptors run in the order given, the first one outermost. They
// run after the authorizers and after the request decoded; an error they
// return is mapped exactly like a handler's (see the package doc).
type ServerInterceptor func(ctx context.Context, req proto.Message, info *HandlerInfo, next UnaryHandler) (proto.Message, error)

// chainClient returns an Invoker that runs interceptors around last.
func chainClient(interceptors []ClientInterceptor, last Invoker) Invoker {
	next := last
	for i := len(interceptors) - 1; i >= 0; i-- {
		ic, inner := interceptors[i], next
		next = func(ctx context.Context, call *ClientCall) error { return ic(ctx, call, inner) }
	}
	return next
}

// chainServer returns a UnaryHandler that runs interceptors around last.
func chainServer(interceptors []ServerInterceptor, info *HandlerInfo, last UnaryHandler) UnaryHandler {
	next := last
	for i := len(interceptors) - 1; i >= 0; i-- {
		ic, inner := interceptors[i], next
		next = func(ctx context.Context, req proto.Message) (proto.Message, error) {
			return ic(ctx, req, info, inner)
		}
	}
	return next
}
