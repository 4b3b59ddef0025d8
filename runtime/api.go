// Package runtime is what lkrpc's generated code calls: typed clients and
// handlers on top of a transport.Transport (the protocol engine). It owns the
// codecs, the error type with typed details, interceptors, call and handler
// options, and the caller information put in a handler's context.
//
// Generated code imports it as lkrpc:
//
//	import lkrpc "github.com/lkrpc/lkrpc/runtime"
package runtime

// CONTRACT SKELETON: the signatures below are what generated code uses and
// must not change without the generator changing too. Bodies are filled in
// by the runtime work.

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// SupportPackageIsVersion1 is referenced by generated code so that a build
// fails when generated code needs a newer runtime than the one it is built with.
const SupportPackageIsVersion1 = true

// Transport is what generated clients call and handlers register on; the
// protocol engine implements it.
type Transport = transport.Transport

// CodecName selects a payload codec.
type CodecName int

const (
	// CodecDefault means "not set here": the next level decides (call option,
	// then method, then JSON).
	CodecDefault CodecName = iota
	// CodecJSON is protojson, readable by hand-written browser code.
	CodecJSON
	// CodecBinary is binary protobuf in standard base64.
	CodecBinary
)

// Method is the static description of one RPC method, emitted by the
// generator from the proto and its lkrpc options.
type Method struct {
	Name             string        // wire name, e.g. "example.v1.Greeter/SayHello"
	Codec            CodecName     // request codec; CodecDefault means JSON
	Timeout          time.Duration // default response timeout; 0 means the transport's
	MaxRequestBytes  int           // 0 means no lkrpc limit (the wire's apply)
	MaxResponseBytes int           // 0 means no lkrpc limit
}

// Client calls methods on one destination participant.
type Client struct {
	transport   Transport
	destination string
	opts        []CallOption
}

// NewClient returns a client bound to destination; opts apply to every call
// and may be overridden per call.
func NewClient(t Transport, destination string, opts ...CallOption) *Client {
	return &Client{transport: t, destination: destination, opts: opts}
}

// Invoke encodes req, calls m on the client's destination, and decodes the
// reply into resp.
func (c *Client) Invoke(ctx context.Context, m *Method, req, resp proto.Message, opts ...CallOption) error {
	panic("TODO")
}

// CallOption configures a call (or every call of a client).
type CallOption interface{ applyCall(*callConfig) }

type callConfig struct{}

// HandlerOption configures the handlers of one registration.
type HandlerOption interface{ applyHandler(*handlerConfig) }

type handlerConfig struct{}

// HandlerDesc describes one method of a generated handler registration.
type HandlerDesc struct {
	Method *Method
	// NewRequest returns an empty request message to decode into.
	NewRequest func() proto.Message
	// Call invokes the user's implementation with the decoded request.
	Call func(ctx context.Context, req proto.Message) (proto.Message, error)
}

// Register serves every method in descs on t, or none: when one fails, those
// already registered are unregistered and the error is returned.
func Register(t Transport, descs []HandlerDesc, opts ...HandlerOption) (unregister func(), err error) {
	panic("TODO")
}

// Unimplemented is the error an Unimplemented…Handler returns: code 1400,
// the same as a method nobody registered.
func Unimplemented(method string) error {
	panic("TODO")
}
