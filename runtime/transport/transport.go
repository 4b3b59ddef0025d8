// Package transport is the narrow interface between lkrpc's typed runtime
// and a protocol engine: make a call with an opaque UTF-8 payload, serve a
// method. The runtime never sees packets and the engine never sees codecs or
// generated types; this package is all they share.
package transport

import (
	"context"
	"time"
)

// Transport makes and serves participant RPC calls. The protocol engine
// (package engine) implements it; tests may fake it.
type Transport interface {
	// Call sends payload to method at the destination participant and waits
	// for the reply. The response timeout is call.Timeout when set, otherwise
	// the time left until ctx's deadline, otherwise the engine's default.
	// A failure is an *rpcerr.Error whose code follows PROTOCOL.md (the
	// response timeout, including ctx's deadline, is 1502); cancelling ctx
	// ends the call promptly with an error that wraps context.Canceled.
	// Every call ends exactly once. A failed call's Reply still says how the
	// request travelled (Kind none when it was not sent).
	Call(ctx context.Context, call Call) (Reply, error)

	// Register serves method with h. It fails when method is already
	// registered. The returned func unregisters it; calling it more than
	// once is harmless.
	Register(method string, h Handler) (unregister func(), err error)
}

// Call is one outgoing request.
type Call struct {
	Destination string        // identity of the handling participant
	Method      string        // wire method name
	Payload     string        // UTF-8 request payload
	Timeout     time.Duration // response timeout; 0 means from ctx or the default
	// Force forces the request's form: FormPacket (an RPC v1 packet; 1402
	// over 15360 bytes) or FormStream (an RPC v2 stream, single-packet or
	// compressed only where the peer accepts it; FormInline means the same).
	// FormNone, the zero value, lets the engine choose. Tests and benchmarks
	// use it; applications leave it unset.
	Force Form
	// Progress, when set, is told how far the payloads have travelled: the
	// request as its stream packets are handed to the link, the response as
	// its stream chunks arrive (a payload in one packet is reported once,
	// whole, or not at all). It runs on the engine's goroutines, one call
	// at a time, and must return at once; it is never called after Call
	// returns.
	Progress func(Progress)
}

// Progress is how far one payload of a call has travelled.
type Progress struct {
	Response bool  // false: the request going out; true: the response coming in
	Bytes    int64 // payload bytes on the wire so far (compressed bytes when compressed)
	Total    int64 // what Bytes reaches at the end; -1 while not known (a compressed response; a large request compressed as it is sent, until its text is all compressed)
}

// Reply is the outcome of a call: the response (on success) and how the
// payloads travelled.
type Reply struct {
	Payload  string
	Request  Transfer // how the request travelled
	Response Transfer // how the response travelled
}

// Handler serves one incoming request. It returns the response payload or an
// error; an *rpcerr.Error goes back as is (truncated to the wire limits),
// anything else becomes rpcerr.ApplicationError. ctx carries the response
// deadline the caller asked for and is cancelled when the caller leaves.
// req is the handler's own: a transport makes one per request and never
// changes or reuses it once h has it, so h may keep it (the typed layer's
// handler context does).
type Handler func(ctx context.Context, req *Request) (payload string, err error)

// Request is one incoming request as the engine received it.
type Request struct {
	Caller    string // identity of the caller, as set by the SFU
	RequestID string
	Method    string
	Payload   string
	// ResponseTimeout is the advisory timeout the caller sent.
	ResponseTimeout time.Duration
	// Deadline is when the caller stops waiting for the reply, as the
	// transport computed it from ResponseTimeout; it is the deadline of the
	// handler's ctx (zero when there is none). Use it rather than adding
	// ResponseTimeout to the current time: the transport knows from when
	// the caller's timer runs.
	Deadline time.Time
	Transfer Transfer // how the request arrived
	// CallerKind is the caller's participant kind as the room announced it
	// when the request arrived, spelled as LiveKit's ParticipantInfo.Kind
	// enum names it ("STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT", …);
	// empty when the caller is not (or no longer) known to the room.
	CallerKind string
	// CallerAttributes are the caller's participant attributes as the room
	// announced them when the request arrived; nil when it has none or is
	// unknown. Handlers must not modify the map.
	CallerAttributes map[string]string
}

// Form is how one payload crossed the wire.
type Form int

const (
	FormNone   Form = iota // nothing was sent (e.g. the call failed first)
	FormPacket             // an RPC v1 packet (RpcRequest or RpcResponse)
	FormInline             // a data stream in one header packet (inline_content)
	FormStream             // a data stream of header, chunks and trailer
)

func (k Form) String() string {
	switch k {
	case FormNone:
		return "none"
	case FormPacket:
		return "v1 packet"
	case FormInline:
		return "v2 single packet"
	case FormStream:
		return "v2 stream"
	}
	return "form(?)"
}

// Transfer describes how one payload crossed the wire.
type Transfer struct {
	Form       Form
	Compressed bool // raw DEFLATE
	Packets    int  // data packets on the wire for this payload
	WireBytes  int  // payload bytes on the wire (compressed size when compressed)
}

func (t Transfer) String() string {
	s := t.Form.String()
	if t.Compressed {
		s += ", deflate"
	}
	return s
}
