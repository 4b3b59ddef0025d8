package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

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
	undo := make([]func(), 0, len(servers))
	rollback := func() {
		for _, u := range undo {
			u()
		}
	}
	for _, s := range servers {
		u, err := t.Register(s.desc.Method.Name, s.handle)
		if err != nil {
			rollback()
			return nil, fmt.Errorf("lkrpc: register %s: %w", s.desc.Method.Name, err)
		}
		undo = append(undo, u)
	}
	var once sync.Once
	return func() { once.Do(rollback) }, nil
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
	if d.NewRequest == nil || d.Serve == nil {
		return nil, fmt.Errorf("%s: NewRequest and Call must both be set", d.Method.Name)
	}
	c, err := d.Method.Codec.codec()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Method.Name, err)
	}
	return &server{desc: d, cfg: cfg, emptyReply: c}, nil
}

// handle is the transport.Handler of one method.
func (s *server) handle(ctx context.Context, r *transport.Request) (payload string, err error) {
	m := s.desc.Method
	caller := Caller{
		Identity:   r.Caller,
		Kind:       r.CallerKind,
		Attributes: r.CallerAttributes,
		RequestID:  r.RequestID,
		Method:     r.Method,
		Codec:      codecNameOf(s.replyCodec(r.Payload, codec.Detect(r.Payload))),
		Transfer:   r.Transfer,
	}
	if r.ResponseTimeout > 0 {
		caller.Deadline = time.Now().Add(r.ResponseTimeout)
	}
	defer func() {
		if v := recover(); v != nil {
			s.cfg.logger.Error("lkrpc: handler panicked; the caller gets code 1500",
				"method", m.Name, "caller", caller.Identity, "request_id", caller.RequestID,
				"panic", v, "stack", string(debug.Stack()))
			payload, err = "", s.applicationError(fmt.Errorf("panic: %v", v))
		}
	}()
	ctx = contextWithCaller(ctx, caller)

	if limit := m.MaxRequestBytes; limit > 0 && len(r.Payload) > limit {
		return "", rpcerr.Newf(RequestPayloadTooLarge, "%s: %d bytes, limit %d", msgRequestTooLarge, len(r.Payload), limit)
	}
	if err := s.authorize(ctx, caller); err != nil {
		return "", err
	}
	req := s.desc.NewRequest()
	decoded, err := codec.Unmarshal(r.Payload, req)
	if err != nil {
		return "", rpcerr.Newf(MalformedRequest, "request of %s does not decode: %v", m.Name, err)
	}
	replyCodec := s.replyCodec(r.Payload, decoded)
	if form := codecNameOf(replyCodec); form != caller.Codec {
		// Detect's first guess was wrong (a bare JSON number or literal).
		caller.Codec = form
		ctx = contextWithCaller(ctx, caller)
	}
	info := &HandlerInfo{Method: m, Caller: caller}
	resp, err := chainServer(s.cfg.interceptors, info, s.desc.Serve)(ctx, req)
	if err != nil {
		return "", s.handlerError(caller, err)
	}
	payload, err = replyCodec.Marshal(resp)
	if err != nil {
		return "", s.handlerError(caller, fmt.Errorf("response does not encode: %w", err))
	}
	if limit := m.MaxResponseBytes; limit > 0 && len(payload) > limit {
		return "", rpcerr.Newf(ResponsePayloadTooLarge, "%s: %d bytes, limit %d", msgResponseTooLarge, len(payload), limit)
	}
	return payload, nil
}

// replyCodec is the form to answer a request in: the one it came in, or
// the method's codec when the request was empty and so showed none.
func (s *server) replyCodec(payload string, decodedWith codec.Codec) codec.Codec {
	if payload == "" {
		return s.emptyReply
	}
	return decodedWith
}

// authorize runs every authorizer; the first refusal wins.
func (s *server) authorize(ctx context.Context, caller Caller) error {
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
		s.cfg.logger.Info("lkrpc: call refused", "method", caller.Method, "caller", caller.Identity,
			"request_id", caller.RequestID, "reason", err)
		return rpcerr.New(PermissionDenied, msgPermissionDenied)
	}
	return nil
}

// handlerError maps what a handler (or interceptor) returned to what the
// caller receives; see the table in the package doc.
func (s *server) handlerError(caller Caller, err error) error {
	if e, ok := rpcerr.From(err); ok {
		return e // the *Error itself, not the text of what wraps it
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return rpcerr.New(ResponseTimeout, msgResponseTimeout)
	}
	if !s.cfg.errorText {
		s.cfg.logger.Warn("lkrpc: handler failed; the caller gets the generic 1500 message",
			"method", caller.Method, "caller", caller.Identity, "request_id", caller.RequestID, "error", err)
	}
	return s.applicationError(err)
}

// applicationError is code 1500 with err's text only when the policy
// allows it.
func (s *server) applicationError(err error) *Error {
	if s.cfg.errorText {
		return rpcerr.New(ApplicationError, err.Error())
	}
	return rpcerr.New(ApplicationError, msgApplicationError)
}
