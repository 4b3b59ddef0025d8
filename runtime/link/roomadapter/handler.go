package roomadapter

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Register serves method through Room.RegisterRpcCtxMethod. unregister
// removes it (only this registration: calling it after the method was
// registered again does nothing).
func (a *Adapter) Register(method string, h transport.Handler) (unregister func(), err error) {
	if method == "" {
		return nil, errors.New("roomadapter: empty method name")
	}
	if h == nil {
		return nil, fmt.Errorf("roomadapter: nil handler for %s", method)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.room.RegisterRpcCtxMethod(method, a.serve(method, h)); err != nil {
		return nil, fmt.Errorf("roomadapter: register %s: %w", method, err)
	}
	a.nextReg++
	reg := a.nextReg
	a.registered[method] = reg
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.registered[method] == reg {
			delete(a.registered, method)
			a.room.UnregisterRpcMethod(method)
		}
	}, nil
}

// serve adapts h to the SDK's handler signature.
func (a *Adapter) serve(method string, h transport.Handler) lksdk.RpcHandlerCtxFunc {
	return func(ctx context.Context, data []byte) ([]byte, error) {
		req := &transport.Request{
			Method:   method,
			Payload:  string(data),
			Transfer: transport.PacketTransfer(string(data)),
		}
		if meta := lksdk.RPCMetadataFromContext(ctx); meta != nil {
			req.Caller, req.RequestID, req.ResponseTimeout = meta.CallerIdentity, meta.RequestID, meta.ResponseTimeout
		}
		req.Deadline, _ = ctx.Deadline() // the SDK's handler deadline
		if p := a.room.GetParticipantByIdentity(req.Caller); p != nil {
			req.CallerKind = livekit.ParticipantInfo_Kind(p.Kind()).String()
			req.CallerAttributes = maps.Clone(p.Attributes())
		}
		reply, err := transport.Run(ctx, h, req, a.log)
		if err != nil {
			return nil, toSDKError(err)
		}
		// Over MaxPayloadBytes the SDK itself answers 1504.
		return []byte(reply), nil
	}
}

// toSDKError passes an *rpcerr.Error on with its code, message and data
// (the SDK cuts them to the wire limits); any other error is returned as
// is, which the SDK answers with 1500.
func toSDKError(err error) error {
	e, ok := rpcerr.From(err)
	if !ok {
		return err
	}
	var data *string
	if e.Data != "" {
		data = &e.Data
	}
	return lksdk.NewRpcError(lksdk.RpcErrorCode(e.Code), e.Message, data)
}
