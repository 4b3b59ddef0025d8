package transport

import (
	"context"
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
	defer func() {
		if v := recover(); v != nil {
			log.Error("lkrpc: handler panicked; the caller gets code 1500",
				"method", req.Method, "caller", req.Caller, "request_id", req.RequestID,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			payload, err = "", rpcerr.Builtin(rpcerr.ApplicationError)
		}
	}()
	payload, err = h(ctx, req)
	if err == nil {
		return payload, nil
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
	return "", err
}
