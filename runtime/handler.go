package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// register implements Register.
func register(t Transport, descs []HandlerDesc, opts []HandlerOption) (func(), error) {
	if t == nil {
		return nil, errors.New("lkrpc: register: nil transport")
	}
	cfg := newHandlerConfig(opts)
	servers := make([]*server, len(descs))
	for i, d := range descs {
		s, err := newServer(d, cfg)
		if err != nil {
			return nil, fmt.Errorf("lkrpc: register handler %d: %w", i, err)
		}
		servers[i] = s
	}
	undo := make([]func(), 0, len(servers)+1)
	rollback := func() {
		for _, u := range undo {
			u()
		}
	}
	if a, ok := t.(advertiser); ok {
		// Before any method: a registration the discovery attribute has no
		// room for registers nothing.
		withdraw, err := a.advertise(servedServices(descs))
		if err != nil {
			return nil, fmt.Errorf("lkrpc: register: %w", err)
		}
		undo = append(undo, withdraw)
	}
	_, streams := t.(transport.Streamer)
	for _, s := range servers {
		if s.desc.ServeStream != nil && !streams {
			// The unary methods of a service stay usable on a transport that
			// cannot stream (roomadapter); its streaming ones cannot be.
			slog.Default().Warn("lkrpc: a streaming method is not served: this transport cannot stream; join the room with lkrpc.Connect",
				"method", s.desc.Method.Name, "transport", fmt.Sprintf("%T", t))
			continue
		}
		u, err := s.register(t)
		if err != nil {
			rollback()
			return nil, fmt.Errorf("lkrpc: register %s: %w", s.desc.Method.Name, err)
		}
		undo = append(undo, u)
	}
	var once sync.Once
	return func() { once.Do(rollback) }, nil
}

// servedServices lists the distinct services of descs' methods, which the
// registration advertises (generated code names each method's service).
func servedServices(descs []HandlerDesc) []string {
	var services []string
	for _, d := range descs {
		if s := d.Method.Service; s != "" && !slices.Contains(services, s) {
			services = append(services, s)
		}
	}
	return services
}

// server serves one method under one registration's options.
type server struct {
	desc HandlerDesc
	cfg  *handlerConfig
	// emptyReply answers a request with an empty payload, which shows no
	// form of its own: the method's codec, so a JSON method answers JSON.
	emptyReply codec.Codec
}

func newServer(d HandlerDesc, cfg *handlerConfig) (*server, error) {
	if d.Method == nil || d.Method.Name == "" {
		return nil, errors.New("no method name")
	}
	if d.NewRequest == nil || (d.Serve == nil) == (d.ServeStream == nil) {
		return nil, fmt.Errorf("%s: NewRequest and one of Serve or ServeStream must be set", d.Method.Name)
	}
	c, err := d.Method.Codec.codec()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Method.Name, err)
	}
	return &server{desc: d, cfg: cfg, emptyReply: c}, nil
}

// register serves the method on t: a unary method with handle, a
// server-streaming one with handleStream (t is then a transport.Streamer).
func (s *server) register(t Transport) (func(), error) {
	if s.desc.ServeStream == nil {
		return t.Register(s.desc.Method.Name, s.handle)
	}
	return t.(transport.Streamer).RegisterStream(s.desc.Method.Name, s.handleStream)
}

// handle is the transport.Handler of a unary method.
func (s *server) handle(ctx context.Context, r *transport.Request) (payload string, err error) {
	ctx, req, replyCodec, err := s.prepare(ctx, r)
	if err != nil {
		return "", err
	}
	m := s.desc.Method
	var resp proto.Message
	if len(s.cfg.interceptors) == 0 {
		// Nothing to tell about the call: no HandlerInfo, no chain.
		resp, err = s.desc.Serve(ctx, req)
	} else {
		caller, _ := CallerFromContext(ctx)
		info := &HandlerInfo{Method: m, Caller: caller}
		resp, err = chainServer(s.cfg.interceptors, info, s.desc.Serve)(ctx, req)
	}
	if err != nil {
		return "", s.handlerError(err)
	}
	payload, err = replyCodec.Marshal(resp)
	if err != nil {
		return "", s.handlerError(fmt.Errorf("response does not encode: %w", err))
	}
	if limit := m.MaxResponseBytes; limit > 0 && len(payload) > limit {
		return "", tooLarge(ResponsePayloadTooLarge, len(payload), limit, m.Name)
	}
	return payload, nil
}

// handleStream is the transport.StreamHandler of a server-streaming
// method. Server interceptors do not apply to streams.
func (s *server) handleStream(ctx context.Context, r *transport.Request, send func(string) error) error {
	ctx, req, replyCodec, err := s.prepare(ctx, r)
	if err != nil {
		return err
	}
	if err := s.desc.ServeStream(ctx, req, s.sendFunc(replyCodec, send)); err != nil {
		return s.handlerError(err)
	}
	return nil
}

// prepare does what every request needs before the user's code runs: the
// caller in ctx, the request size limit, the authorizers, decoding; and
// picks the codec of the reply.
func (s *server) prepare(ctx context.Context, r *transport.Request) (context.Context, proto.Message, codec.Codec, error) {
	m := s.desc.Method
	cc := &callerContext{Context: ctx, req: r, codec: codecNameOf(s.replyCodec(r.Payload, codec.Detect(r.Payload)))}
	if limit := m.MaxRequestBytes; limit > 0 && len(r.Payload) > limit {
		return nil, nil, nil, tooLarge(RequestPayloadTooLarge, len(r.Payload), limit, m.Name)
	}
	if err := s.authorize(cc); err != nil {
		return nil, nil, nil, err
	}
	req := s.desc.NewRequest()
	decoded, err := codec.Unmarshal(r.Payload, req)
	if err != nil {
		return nil, nil, nil, rpcerr.Newf(MalformedRequest, "request of %s does not decode: %v", m.Name, err)
	}
	replyCodec := s.replyCodec(r.Payload, decoded)
	if form := codecNameOf(replyCodec); form != cc.codec {
		// Detect's first guess was wrong (a bare JSON number or literal);
		// the authorizers may have kept the context with that guess.
		cc = &callerContext{Context: ctx, req: r, codec: form}
	}
	return cc, req, replyCodec, nil
}

// replyCodec is the form to answer a request in: the one it came in, or
// the method's codec when the request was empty and so showed none.
func (s *server) replyCodec(payload string, decodedWith codec.Codec) codec.Codec {
	if payload == "" {
		return s.emptyReply
	}
	return decodedWith
}

// authorize runs every authorizer on the caller of ctx; the first refusal
// wins.
func (s *server) authorize(ctx *callerContext) error {
	if len(s.cfg.authorizers) == 0 {
		return nil
	}
	caller := ctx.caller()
	for _, a := range s.cfg.authorizers {
		err := a(ctx, caller)
		if err == nil {
			continue
		}
		if e, ok := rpcerr.From(err); ok {
			return e
		}
		if s.cfg.errorText {
			return rpcerr.New(PermissionDenied, err.Error())
		}
		return &Error{Code: PermissionDenied, Message: msgPermissionDenied, Cause: fmt.Errorf("call refused: %w", err)}
	}
	return nil
}

// handlerError maps what a handler (or interceptor) returned to what the
// caller receives; see the table in the package doc. A Go error's text is
// sent only under WithErrorText(true); otherwise it rides along as the
// error's Cause, which the transport logs and never sends.
func (s *server) handlerError(err error) error {
	if e, ok := rpcerr.From(err); ok {
		return e // the *Error itself, not the text of what wraps it
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: ResponseTimeout, Message: rpcerr.Message(ResponseTimeout), Cause: err}
	}
	if s.cfg.errorText {
		return rpcerr.New(ApplicationError, err.Error())
	}
	return &Error{Code: ApplicationError, Message: rpcerr.Message(ApplicationError), Cause: err}
}
