package runtime

// This file is the surface generated code calls. Its exported signatures are
// a contract with the generator: change them only together with it.

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
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
// generator from the proto and its lkrpc options. The size limits count
// encoded payload bytes and are enforced on both sides: a caller refuses to
// send a request over MaxRequestBytes and a handler refuses one (both 1402);
// a handler refuses to send a response over MaxResponseBytes and a caller
// refuses one (both 1504).
type Method struct {
	Service          string        // full name of the proto service, e.g. "example.v1.Greeter"; "" for none
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
// reply into resp (resp may be nil to discard the reply).
//
// The codec is the first set of: a call option, a client option,
// Method.Codec, JSON. The response timeout is the first set of: a call
// option, a client option, Method.Timeout; cut to ctx's deadline when that
// is sooner. Errors follow the mapping in the package doc.
func (c *Client) Invoke(ctx context.Context, m *Method, req, resp proto.Message, opts ...CallOption) error {
	return c.invoke(ctx, m, req, resp, opts)
}

// Call invokes m with req through c and returns the decoded reply, a new
// Resp. Each method of a generated client is one call to it:
//
//	return lkrpc.Call[HelloReply](ctx, c.client, greeterSayHelloSpec, req, opts...)
func Call[Resp any, PResp interface {
	*Resp
	proto.Message
}](ctx context.Context, c *Client, m *Method, req proto.Message, opts ...CallOption) (PResp, error) {
	resp := PResp(new(Resp))
	if err := c.invoke(ctx, m, req, resp, opts); err != nil {
		return nil, err
	}
	return resp, nil
}

// CallOption configures a call (or every call of a client): WithTimeout,
// WithCodec, WithForm, WithReport, WithClientInterceptors.
type CallOption interface{ applyCall(*callConfig) }

// HandlerOption configures the handlers of one registration:
// WithServerInterceptors, WithAuthorizer, WithErrorText.
type HandlerOption interface{ applyHandler(*handlerConfig) }

// HandlerDesc describes one method of a generated handler registration.
type HandlerDesc struct {
	Method *Method
	// NewRequest returns an empty request message to decode into.
	NewRequest func() proto.Message
	// Serve invokes the user's implementation of a unary method with the
	// decoded request.
	Serve func(ctx context.Context, req proto.Message) (proto.Message, error)
	// ServeStream invokes the user's implementation of a server-streaming
	// method, which sends each reply message with send. A HandlerDesc sets
	// Serve or ServeStream, not both.
	ServeStream func(ctx context.Context, req proto.Message, send func(proto.Message) error) error
}

// Handle describes method m served by fn, for Register. A generated
// registration lists one per method:
//
//	lkrpc.Handle(greeterSayHelloSpec, h.SayHello),
func Handle[Req any, PReq interface {
	*Req
	proto.Message
}, Resp proto.Message](m *Method, fn func(context.Context, PReq) (Resp, error)) HandlerDesc {
	return HandlerDesc{
		Method:     m,
		NewRequest: func() proto.Message { return PReq(new(Req)) },
		Serve: func(ctx context.Context, req proto.Message) (proto.Message, error) {
			return fn(ctx, req.(PReq))
		},
	}
}

// Register serves every method in descs on t, or none: when one fails, those
// already registered are unregistered and the error is returned.
// The error names the method that failed (e.g. one already registered).
// unregister removes them all; calling it again does nothing. On a
// transport that cannot stream (transport.Streamer: roomadapter), the
// server-streaming methods are left out with a warning on slog.Default,
// and the unary ones are served.
func Register(t Transport, descs []HandlerDesc, opts ...HandlerOption) (unregister func(), err error) {
	return register(t, descs, opts)
}

// Unimplemented is the error an Unimplemented…Handler returns: code 1400
// with the SDKs' message "Method not supported at destination", exactly
// what a method nobody registered answers. method is not sent (the SDKs'
// text has no room for it), so a caller cannot tell the two apart.
func Unimplemented(method string) error {
	return rpcerr.Builtin(UnsupportedMethod)
}
