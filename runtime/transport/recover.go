package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// Run calls h with req: the one place where a transport runs a handler.
//
// A panic becomes the SDKs' 1500 "Application error in method handler" and
// is logged at error level with its value and stack, never sent, so that no
// handler can take the process down. A failure whose text the caller will
// not get is logged at warn level: an error that is not an *rpcerr.Error
// (the transport answers it with 1500), and an *rpcerr.Error's Cause.
func Run(ctx context.Context, h Handler, req *Request, log *slog.Logger) (payload string, err error) {
	err = guard(req, log, func() (err error) {
		payload, err = h(ctx, req)
		return err
	}, nil)
	if err != nil {
		return "", err
	}
	return payload, nil
}

// RunStream calls the streaming handler h as Run calls a unary one. A
// handler that ends with its context's cancellation after the caller went
// away is not logged: nobody is waiting for its answer.
func RunStream(ctx context.Context, h StreamHandler, req *Request, send func(string) error, log *slog.Logger) error {
	stopped := func(err error) bool { return ctx.Err() != nil && errors.Is(err, context.Canceled) }
	return guard(req, log, func() error { return h(ctx, req, send) }, stopped)
}

// guard runs call, recovering a panic and logging what the caller will
// not be told (see Run), unless quiet says the failure is expected.
func guard(req *Request, log *slog.Logger, call func() error, quiet func(error) bool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("lkrpc: handler panicked; the caller gets code 1500",
				"method", req.Method, "caller", req.Caller, "request_id", req.RequestID,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = rpcerr.Builtin(rpcerr.ApplicationError)
		}
	}()
	err = call()
	if err == nil || (quiet != nil && quiet(err)) {
		return err
	}
	e, ok := rpcerr.From(err)
	switch {
	case !ok:
		log.Warn("lkrpc: handler failed; the caller gets code 1500 without this text",
			"method", req.Method, "caller", req.Caller, "request_id", req.RequestID, "error", err)
	case e.Cause != nil:
		log.Warn("lkrpc: handler failed; the caller gets the code without this text",
			"method", req.Method, "caller", req.Caller, "request_id", req.RequestID,
			"code", e.Code, "error", e.Cause)
	}
	return err
}
