package roomadapter

import (
	"context"
	"errors"
	"strings"
	"testing"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// newUnconnected is an adapter on a room that never connects: enough for
// everything the adapter decides before the SDK sends anything.
func newUnconnected(t *testing.T) (*Adapter, *lksdk.Room) {
	t.Helper()
	room := lksdk.NewRoom(&lksdk.RoomCallback{})
	a, err := New(room, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a, room
}

func TestNewRefusesNilRoom(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestCallRefusesWhatV1CannotCarry(t *testing.T) {
	a, _ := newUnconnected(t)
	cases := []struct {
		name     string
		call     transport.Call
		code     int
		mentions string
	}{
		{"over the v1 limit", transport.Call{Destination: "p", Method: "m", Payload: strings.Repeat("x", MaxPayloadBytes+1)}, rpcerr.RequestPayloadTooLarge, "runtime/link/rtc"},
		{"forced stream", transport.Call{Destination: "p", Method: "m", Payload: "x", Force: transport.FormStream}, rpcerr.SendFailed, "runtime/link/rtc"},
		{"unknown form", transport.Call{Destination: "p", Method: "m", Force: transport.Form(9)}, rpcerr.SendFailed, "form"},
		{"no destination", transport.Call{Method: "m"}, rpcerr.SendFailed, "destination"},
		{"no method", transport.Call{Destination: "p"}, rpcerr.SendFailed, "method"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Call(context.Background(), tc.call)
			e, ok := rpcerr.From(err)
			if !ok || e.Code != tc.code || !strings.Contains(e.Message, tc.mentions) {
				t.Fatalf("Call = %v, want code %d mentioning %q", err, tc.code, tc.mentions)
			}
		})
	}
}

func TestCallAtTheLimitIsNotRefusedEarly(t *testing.T) {
	if err := transport.CheckPacketCall(transport.Call{Destination: "p", Method: "m", Payload: strings.Repeat("x", MaxPayloadBytes), Force: transport.FormPacket}, "roomadapter", peerLinkHint); err != nil {
		t.Fatalf("a payload of exactly %d bytes: %v", MaxPayloadBytes, err)
	}
}

func TestCallWithEndedContextSendsNothing(t *testing.T) {
	a, _ := newUnconnected(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Call(ctx, transport.Call{Destination: "p", Method: "m"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call = %v, want context.Canceled", err)
	}
}

func TestRegisterOnceAndUnregisterOnlyItsOwn(t *testing.T) {
	a, room := newUnconnected(t)
	h := func(context.Context, *transport.Request) (string, error) { return "", nil }
	if _, err := a.Register("m", nil); err == nil {
		t.Fatal("nil handler accepted")
	}
	if _, err := a.Register("", h); err == nil {
		t.Fatal("empty method accepted")
	}
	first, err := a.Register("m", h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Register("m", h); err == nil {
		t.Fatal("second registration of m accepted")
	}
	first()
	second, err := a.Register("m", h)
	if err != nil {
		t.Fatalf("register after unregister: %v", err)
	}
	first() // stale: must not remove the second registration
	if err := room.RegisterRpcCtxMethod("m", nil); err == nil {
		t.Fatal("a stale unregister removed the current registration")
	}
	second()
	if err := room.RegisterRpcCtxMethod("m", nil); err != nil {
		t.Fatalf("m still registered after unregister: %v", err)
	}
}

func TestHandlerErrorsReachTheSDK(t *testing.T) {
	a, _ := newUnconnected(t)
	appErr := &rpcerr.Error{Code: 2001, Message: "no", Data: `{"why":1}`}
	plain := errors.New("boom")
	var got *transport.Request
	serve := a.serve("m", func(_ context.Context, req *transport.Request) (string, error) {
		got = req
		switch req.Payload {
		case "app":
			return "", appErr
		case "plain":
			return "", plain
		}
		return "re:" + req.Payload, nil
	})

	reply, err := serve(context.Background(), []byte("hi"))
	if err != nil || string(reply) != "re:hi" {
		t.Fatalf("success = %q, %v", reply, err)
	}
	if got.Method != "m" || got.Transfer.Form != transport.FormPacket {
		t.Fatalf("request = %+v, want method m arriving as a v1 packet", got)
	}
	_, err = serve(context.Background(), []byte("app"))
	var re *lksdk.RpcError
	if !errors.As(err, &re) || re.Code != 2001 || re.Message != "no" || re.Data == nil || *re.Data != `{"why":1}` {
		t.Fatalf("application error became %#v", err)
	}
	if _, err = serve(context.Background(), []byte("plain")); err != plain {
		t.Fatalf("plain error became %v, want it unchanged (the SDK answers 1500)", err)
	}
}

func TestSDKErrorsBecomeRPCErrors(t *testing.T) {
	data := `{"n":1}`
	err := fromSDKError(lksdk.NewRpcError(2002, "stock says no", &data))
	if e, ok := rpcerr.From(err); !ok || *e != (rpcerr.Error{Code: 2002, Message: "stock says no", Data: data}) {
		t.Fatalf("got %v", err)
	}
	if e, ok := rpcerr.From(fromSDKError(errors.New("odd"))); !ok || e.Code != rpcerr.SendFailed {
		t.Fatalf("a non-RPC error became %v, want 1505", e)
	}
}
