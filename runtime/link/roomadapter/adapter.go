package roomadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// MaxPayloadBytes is the RPC v1 limit the stock SDK enforces on requests
// and replies (UTF-8 bytes).
const MaxPayloadBytes = transport.MaxPacketPayload

// DefaultTimeout is the response timeout when neither Call.Timeout nor the
// context's deadline sets one (the SDK's default).
const DefaultTimeout = 15 * time.Second

// peerLinkHint ends every error about something only RPC v2 can do.
const peerLinkHint = "the room adapter speaks RPC v1 only (stock server-sdk-go v2.18.1); " +
	"connect with lkrpc.Connect (runtime/link/rtc) for RPC v2 streams"

// Adapter is a transport.Transport on an existing *lksdk.Room.
type Adapter struct {
	room *lksdk.Room
	log  *slog.Logger

	mu         sync.Mutex
	registered map[string]uint64 // method → registration number
	nextReg    uint64
}

var _ transport.Transport = (*Adapter)(nil)

// New returns an adapter on room, which the application connected and
// keeps owning (the adapter never disconnects it). Handler failures and
// panics are logged to log (slog.Default() when nil).
func New(room *lksdk.Room, log *slog.Logger) (*Adapter, error) {
	if room == nil {
		return nil, errors.New("roomadapter: nil *lksdk.Room")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Adapter{room: room, log: log, registered: make(map[string]uint64)}, nil
}

// Call performs one RPC through LocalParticipant.PerformRpc.
func (a *Adapter) Call(ctx context.Context, call transport.Call) (transport.Reply, error) {
	if err := transport.CheckPacketCall(call, "roomadapter", peerLinkHint); err != nil {
		return transport.Reply{}, err
	}
	timeout, err := transport.ResponseTimeout(ctx, call.Timeout, DefaultTimeout)
	if err != nil {
		return transport.Reply{}, err
	}
	if err := rpcerr.FromContext(ctx); err != nil {
		return transport.Reply{}, err
	}
	type result struct {
		payload string
		err     error
	}
	done := make(chan result, 1) // buffered: PerformRpc may outlive an abandoned call
	go func() {
		got, err := a.room.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
			DestinationIdentity: call.Destination,
			Method:              call.Method,
			Payload:             call.Payload,
			ResponseTimeout:     &timeout,
		})
		r := result{err: err}
		if got != nil {
			r.payload = *got
		}
		done <- r
	}()
	select {
	case <-ctx.Done():
		return transport.Reply{}, rpcerr.FromContext(ctx)
	case r := <-done:
		if r.err != nil {
			return transport.Reply{}, fromSDKError(r.err)
		}
		return transport.Reply{
			Payload:  r.payload,
			Request:  transport.PacketTransfer(call.Payload),
			Response: transport.PacketTransfer(r.payload),
		}, nil
	}
}

// fromSDKError turns the SDK's *RpcError into lkrpc's; other errors (none
// are expected from PerformRpc) become 1505.
func fromSDKError(err error) error {
	var re *lksdk.RpcError
	if !errors.As(err, &re) {
		return &rpcerr.Error{Code: rpcerr.SendFailed, Message: fmt.Sprintf("roomadapter: %v", err)}
	}
	out := &rpcerr.Error{Code: int(re.Code), Message: re.Message}
	if re.Data != nil {
		out.Data = *re.Data
	}
	return out
}
