package transport

import (
	"context"
	"time"
)

// Streamer is a Transport that also makes and serves server-streaming
// calls: one request, then any number of reply messages and an end status
// (PROTOCOL.md §8). The protocol engine implements it; the transports that
// never join the room (roomservice) or ride a stock SDK room (roomadapter)
// cannot.
type Streamer interface {
	Transport
	// CallStream sends the request and returns at once with the stream of
	// replies; the call's failures (the destination does not serve it,
	// timeouts, the handler's error) come from Recv. ctx governs the whole
	// call: its end cancels it.
	CallStream(ctx context.Context, call StreamCall) (ReplyStream, error)
	// RegisterStream serves method with h, as Register does unary methods.
	RegisterStream(method string, h StreamHandler) (unregister func(), err error)
}

// Defaults of a streaming call (PROTOCOL.md §8.3, §8.4), where a
// StreamCall or the method leaves them unset. Both ends use them: the
// caller's cap on one message is the handler's too.
const (
	DefaultStreamWindow     = 1 << 20 // bytes the caller buffers ahead of its reader
	DefaultStreamMessageMax = 4 << 20 // one message, without the method's max_response_bytes
	DefaultStreamMax        = 1 << 30 // the whole reply
)

// StreamCall is one outgoing server-streaming request. Zero values take
// the transport's defaults.
type StreamCall struct {
	Destination string
	Method      string
	Payload     string
	// Service is the method's proto service, "" when unknown: a destination
	// that advertises the services it serves and not this one fails the
	// call at once (1400).
	Service string
	// FirstTimeout bounds the wait for the first message (or the end);
	// Idle the wait between one message and the next (a negative Idle
	// turns it off).
	FirstTimeout, Idle time.Duration
	// Window is the reply bytes the caller buffers before the handler must
	// wait for its consumer (the credit of PROTOCOL.md §8.3).
	Window int
	// MaxMessageBytes caps one reply message; MaxStreamBytes all of them.
	MaxMessageBytes int
	MaxStreamBytes  int64
}

// ReplyStream is the caller's end of a server-streaming call. Recv and
// Close may be called from different goroutines; Recv from one at a time.
type ReplyStream interface {
	// Recv returns the next message's payload: io.EOF once the handler has
	// ended the stream successfully, otherwise the call's failure (an
	// *rpcerr.Error, or an error wrapping the context's). After an error
	// every later Recv returns it again.
	Recv() (string, error)
	// Close ends the call: when it is still running the handler is told to
	// stop. It releases the call's resources; it is safe to call twice.
	Close() error
}

// StreamHandler serves one server-streaming request: it calls send for
// each reply message and returns nil to end the stream with success, or an
// error (mapped as a unary Handler's is). send blocks while the caller's
// credit is used up, and fails once the call has ended (the caller
// cancelled or left); ctx ends then too. req is the handler's own, as a
// Handler's is.
type StreamHandler func(ctx context.Context, req *Request, send func(payload string) error) error
