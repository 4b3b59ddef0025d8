package transport

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// Run calls h with req and turns a panic into the SDKs' 1500 "Application
// error in method handler" (its value and stack go to log at error level,
// never to the caller), so that no handler can take the process down. Every
// Transport serves its handlers through Run: it is the one place a
// handler's panic is recovered.
func Run(ctx context.Context, h Handler, req *Request, log *slog.Logger) (payload string, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("lkrpc: handler panicked; the caller gets code 1500",
				"method", req.Method, "caller", req.Caller, "request_id", req.RequestID,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			payload, err = "", rpcerr.Builtin(rpcerr.ApplicationError)
		}
	}()
	return h(ctx, req)
}
