package runtime

import (
	"context"
	"time"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Caller describes the participant that made the request a handler is
// serving. The identity is the one the SFU stamped on the packets, not
// anything the caller wrote in its payload, so it can be trusted as much as
// the room's tokens.
type Caller struct {
	Identity string // the caller's participant identity
	// Kind is the caller's participant kind as the room announced it
	// ("STANDARD", "AGENT", "SIP", "INGRESS", "EGRESS", … as LiveKit's
	// ParticipantInfo.Kind names it); empty when the room does not know
	// the caller. Like the identity it comes from the server, not the caller.
	Kind string
	// Attributes are the caller's participant attributes when the request
	// arrived; nil when it has none. Participants with the
	// canUpdateOwnMetadata grant can set their own attributes, so only trust
	// them as far as the room's tokens allow. Do not modify the map.
	Attributes map[string]string
	RequestID  string // the request id, the same on both sides of the call
	Method     string // the wire method name
	// Deadline is when the caller stops waiting, from the advisory response
	// timeout it sent; zero when it sent none. Callers add margins of their
	// own (livekit-client sends at least 8 s), so treat it as a hint.
	Deadline time.Time
	// Codec is the form of the request, which the reply will use too.
	Codec    CodecName
	Transfer transport.Transfer // how the request arrived
}

type callerKey struct{}

// CallerFromContext returns the caller of the request a handler is
// serving; ok is false outside a handler.
func CallerFromContext(ctx context.Context) (c Caller, ok bool) {
	if cc, ok := ctx.Value(callerKey{}).(*callerContext); ok {
		return cc.caller(), true
	}
	return Caller{}, false
}

// callerContext carries the caller as the transport's Request, which is
// the handler's own (transport.Handler), and the form the request came
// in: a Caller (context.WithValue would box it in an allocation of its
// own besides the context's) is 136 bytes, a third of what a typed call
// allocates beyond a raw one (bench row 5), built only when asked for.
type callerContext struct {
	context.Context
	req   *transport.Request
	codec CodecName
}

func (c *callerContext) Value(key any) any {
	if _, ok := key.(callerKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func (c *callerContext) caller() Caller {
	r := c.req
	return Caller{
		Identity:   r.Caller,
		Kind:       r.CallerKind,
		Attributes: r.CallerAttributes,
		RequestID:  r.RequestID,
		Method:     r.Method,
		Deadline:   r.Deadline,
		Codec:      c.codec,
		Transfer:   r.Transfer,
	}
}
