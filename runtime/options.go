package runtime

import (
	"context"
	"time"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// callConfig is what CallOptions set; zero values mean "not set here".
type callConfig struct {
	timeout      time.Duration
	codec        CodecName
	form         transport.Form
	report       *CallReport
	progress     func(Progress)
	interceptors []ClientInterceptor

	// Server-streaming calls only.
	idle           time.Duration
	window         int
	maxStreamBytes int64
}

type callOptionFunc func(*callConfig)

func (f callOptionFunc) applyCall(c *callConfig) { f(c) }

// WithTimeout sets the response timeout. It beats Method.Timeout; the ctx
// deadline still applies when it is sooner. d <= 0 leaves the choice to
// the next level.
func WithTimeout(d time.Duration) CallOption {
	return callOptionFunc(func(c *callConfig) {
		if d > 0 {
			c.timeout = d
		}
	})
}

// WithCodec sets the request codec (CodecJSON or CodecBinary); it beats
// Method.Codec. CodecDefault leaves the choice to the next level.
func WithCodec(n CodecName) CallOption {
	return callOptionFunc(func(c *callConfig) {
		if n != CodecDefault {
			c.codec = n
		}
	})
}

// WithForm forces how the request travels (transport.FormPacket or
// transport.FormStream), for tests and measurements; by default the
// transport chooses.
func WithForm(r transport.Form) CallOption {
	return callOptionFunc(func(c *callConfig) { c.form = r })
}

// WithReport makes the call fill r when it ends, whether it succeeds or not
// (a call that an interceptor answers without sending leaves r untouched;
// one that an interceptor retries reports the last attempt). A report is
// for one call at a time: do not share one between concurrent calls.
func WithReport(r *CallReport) CallOption {
	return callOptionFunc(func(c *callConfig) { c.report = r })
}

// Progress is how far one payload of a call has travelled: the request
// going out, or the response coming in (Response true). Bytes and Total
// count the payload as it is on the wire, compressed when it is; Total is
// -1 when the receiver cannot know it (a compressed response).
type Progress = transport.Progress

// WithProgress makes the call report to fn how far its request and its
// response have travelled, as stream packets go out and come in (a payload
// that fits one packet is reported once or not at all): for progress bars
// on large payloads. fn runs on lkrpc's goroutines, one report at a time,
// never after the call returns; it must return at once.
func WithProgress(fn func(Progress)) CallOption {
	return callOptionFunc(func(c *callConfig) { c.progress = fn })
}

// WithIdleTimeout bounds, for a server-streaming call, the wait from one
// message to the next (the first message waits the call's timeout); the
// call fails with 1502 when it passes. The default is the call's timeout;
// d < 0 turns the bound off (a stream that may pause for long), 0 keeps the
// default.
func WithIdleTimeout(d time.Duration) CallOption {
	return callOptionFunc(func(c *callConfig) {
		if d != 0 {
			c.idle = d
		}
	})
}

// WithStreamWindow sets how many reply bytes a server-streaming call
// buffers ahead of its reader before the handler must wait (the credit of
// PROTOCOL.md §8.3; default 1 MiB). n <= 0 keeps the default.
func WithStreamWindow(n int) CallOption {
	return callOptionFunc(func(c *callConfig) {
		if n > 0 {
			c.window = n
		}
	})
}

// WithMaxStreamBytes caps the reply bytes of a whole server-streaming call
// (default 1 GiB); past it the call fails with 1504 and the handler is
// told to stop. n <= 0 keeps the default.
func WithMaxStreamBytes(n int64) CallOption {
	return callOptionFunc(func(c *callConfig) {
		if n > 0 {
			c.maxStreamBytes = n
		}
	})
}

// WithClientInterceptors adds interceptors around calls (see
// ClientInterceptor for the order).
func WithClientInterceptors(ics ...ClientInterceptor) CallOption {
	return callOptionFunc(func(c *callConfig) { c.interceptors = append(c.interceptors, ics...) })
}

// handlerConfig is what HandlerOptions set.
type handlerConfig struct {
	interceptors []ServerInterceptor
	authorizers  []Authorizer
	errorText    bool
}

type handlerOptionFunc func(*handlerConfig)

func (f handlerOptionFunc) applyHandler(c *handlerConfig) { f(c) }

func newHandlerConfig(opts []HandlerOption) *handlerConfig {
	c := &handlerConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(c)
		}
	}
	return c
}

// WithServerInterceptors adds interceptors around the handlers (see
// ServerInterceptor for the order).
func WithServerInterceptors(ics ...ServerInterceptor) HandlerOption {
	return handlerOptionFunc(func(c *handlerConfig) { c.interceptors = append(c.interceptors, ics...) })
}

// WithErrorText decides what a caller learns when a handler fails with an
// error that is not an *Error. With false (the default) the caller gets
// code 1500 and the SDKs' generic message "Application error in method
// handler", and the transport logs the error locally: Go error texts often hold
// paths, queries or addresses that should not leave the process. With true
// the message is err.Error() (truncated to 256 bytes), handy in development.
// Panics always answer the generic 1500, whatever this says; the transport
// logs them with their stack. *Error values are always sent as they are.
func WithErrorText(send bool) HandlerOption {
	return handlerOptionFunc(func(c *handlerConfig) { c.errorText = send })
}

// Authorizer decides whether a caller may call a method. It runs before the
// request is decoded, so unauthorised callers cost little and never reach
// the decoder. A nil return allows the call.
type Authorizer func(ctx context.Context, c Caller) error

// WithAuthorizer adds an authorizer; every authorizer given must allow a
// call. A refusal reaches the caller as code 2403 (PermissionDenied) with
// the message "Permission denied", unless the authorizer returns an *Error,
// which is sent as it is (use that to tell the caller why).
func WithAuthorizer(a Authorizer) HandlerOption {
	return handlerOptionFunc(func(c *handlerConfig) {
		if a != nil {
			c.authorizers = append(c.authorizers, a)
		}
	})
}
