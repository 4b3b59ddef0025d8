package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/internal/presize"
	"github.com/lkrpc/lkrpc/runtime/codec"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// CallReport says how one call went; WithReport fills it.
type CallReport struct {
	Method      string
	Destination string
	Codec       CodecName // the request's codec
	// RequestBytes and ResponseBytes are the encoded payload sizes (UTF-8
	// bytes, before any compression on the wire); ResponseBytes is 0 when
	// no reply arrived.
	RequestBytes  int
	ResponseBytes int
	// Request and Response say how each payload crossed the wire, as the
	// transport reports it (Kind none when it did not).
	Request  transport.Transfer
	Response transport.Transfer
	// Duration runs from encoding the request to decoding the reply.
	Duration time.Duration
	Err      error // the call's outcome, nil on success
}

// invoke resolves the options, runs the interceptors, and sends.
func (c *Client) invoke(ctx context.Context, m *Method, req, resp proto.Message, opts []CallOption) error {
	presize.Call(0) // before the call deepens (see package presize)
	if c == nil || c.transport == nil {
		return errors.New("lkrpc: client has no transport")
	}
	if m == nil || m.Name == "" {
		return errors.New("lkrpc: call without a method name")
	}
	cfg := c.config(opts)
	call := ClientCall{
		Method:      m,
		Destination: c.destination,
		Codec:       firstCodec(cfg.codec, m.Codec),
		Timeout:     firstDuration(cfg.timeout, m.Timeout),
		Form:        cfg.form,
		Request:     req,
		Response:    resp,
	}
	report, progress := cfg.report, cfg.progress
	if len(cfg.interceptors) == 0 {
		// Without interceptors nothing keeps the call: it stays on the stack.
		return c.send(ctx, &call, report, progress)
	}
	intercepted := call
	send := func(ctx context.Context, call *ClientCall) error { return c.send(ctx, call, report, progress) }
	return chainClient(cfg.interceptors, send)(ctx, &intercepted)
}

// config resolves the client's options, then the call's.
func (c *Client) config(opts []CallOption) callConfig {
	if len(c.opts) == 0 && len(opts) == 0 {
		return callConfig{} // without the allocation applyCall's &cfg costs
	}
	var cfg callConfig
	for _, o := range c.opts {
		if o != nil {
			o.applyCall(&cfg)
		}
	}
	for _, o := range opts {
		if o != nil {
			o.applyCall(&cfg)
		}
	}
	return cfg
}

// send encodes, calls the transport and decodes: the innermost Invoker.
func (c *Client) send(ctx context.Context, call *ClientCall, report *CallReport, progress func(Progress)) (err error) {
	rep := CallReport{Destination: call.Destination, Codec: call.Codec}
	if call.Method != nil {
		rep.Method = call.Method.Name
	}
	if report != nil {
		start := time.Now()
		defer func() {
			rep.Duration = time.Since(start)
			rep.Err = err
			*report = rep
		}()
	}
	if call.Method == nil || call.Method.Name == "" {
		return errors.New("lkrpc: an interceptor removed the call's method")
	}
	if err := rpcerr.FromContext(ctx); err != nil {
		return err
	}
	cdc, err := call.Codec.codec()
	if err != nil {
		return err
	}
	payload, err := cdc.Marshal(call.Request)
	if err != nil {
		return fmt.Errorf("lkrpc: %s: request: %w", call.Method.Name, err)
	}
	rep.RequestBytes = len(payload)
	if limit := call.Method.MaxRequestBytes; limit > 0 && len(payload) > limit {
		return tooLarge(RequestPayloadTooLarge, len(payload), limit, call.Method.Name)
	}
	timeout, err := transport.ResponseTimeout(ctx, call.Timeout, 0)
	if err != nil {
		return err
	}
	reply, err := c.transport.Call(ctx, transport.Call{
		Destination: call.Destination,
		Method:      call.Method.Name,
		Payload:     payload,
		Timeout:     timeout,
		Force:       call.Form,
		Progress:    progress,
	})
	rep.Request, rep.Response = reply.Request, reply.Response
	if err != nil {
		return callError(ctx, err)
	}
	rep.ResponseBytes = len(reply.Payload)
	if limit := call.Method.MaxResponseBytes; limit > 0 && len(reply.Payload) > limit {
		return tooLarge(ResponsePayloadTooLarge, len(reply.Payload), limit, call.Method.Name)
	}
	if call.Response == nil {
		return nil
	}
	// The handler answers in the caller's form, but read whatever form
	// arrived: a hand-written handler in another language may not.
	if _, err := codec.Unmarshal(reply.Payload, call.Response); err != nil {
		return rpcerr.Newf(MalformedResponse, "reply of %s does not decode: %v", call.Method.Name, err)
	}
	return nil
}

// callError normalises a transport failure to the documented mapping, so
// that it holds whichever transport is underneath.
func callError(ctx context.Context, err error) error {
	if _, ok := rpcerr.From(err); ok {
		return err
	}
	if ctxErr := rpcerr.FromContext(ctx); ctxErr != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return ctxErr
		}
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: ResponseTimeout, Message: rpcerr.Message(ResponseTimeout), Cause: err}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("lkrpc: call canceled: %w", err)
	}
	return err
}

// tooLarge is the error for a payload over a method's size limit
// (max_request_bytes or max_response_bytes), on either side.
func tooLarge(code, size, limit int, method string) *Error {
	return rpcerr.Newf(code, "%s: %d bytes, limit %d for %s", rpcerr.Message(code), size, limit, method)
}

func firstCodec(names ...CodecName) CodecName {
	for _, n := range names {
		if n != CodecDefault {
			return n
		}
	}
	return CodecJSON
}

func firstDuration(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}
