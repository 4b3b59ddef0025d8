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
	if p, ok := ctx.Value(callerKey{}).(*Caller); ok {
		return *p, true
	}
	return Caller{}, false
}

// callerContext carries the caller: context.WithValue would box the Caller
// in an allocation of its own besides the context's.
type callerContext struct {
	context.Context
	caller Caller
}

func (c *callerContext) Value(key any) any {
	if _, ok := key.(callerKey); ok {
		return &c.caller
	}
	return c.Context.Value(key)
}

func contextWithCaller(ctx context.Context, c Caller) context.Context {
	return &callerContext{Context: ctx, caller: c}
}
