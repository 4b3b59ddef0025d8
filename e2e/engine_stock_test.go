package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const greetMethod = "example.v1.Greeter/SayHello"

// An engine on the participant link serves a stock server-sdk-go caller
// (client protocol 0, so RPC v1 packets only), for the sizes v1 allows.
func TestEngineServesStockCaller(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "go-engine")
	eng := engine.New(l)
	t.Cleanup(func() { _ = eng.Close() })

	arrived := make(chan transport.Transfer, 64)
	unregister, err := eng.Register(greetMethod, func(_ context.Context, req *transport.Request) (string, error) {
		arrived <- req.Transfer
		if req.Payload == "fail" {
			return "", &rpcerr.Error{Code: 2001, Message: "no greeting today", Data: `{"why":"asked to"}`}
		}
		return "hello " + req.Payload[:min(len(req.Payload), 16)], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()

	stock := srv.StockRoom(t, room, "stock-go", nil)
	stock.WaitSees(t, "go-engine")
	lkserver.WaitParticipant(t, l, "stock-go")

	for _, size := range []int{16, 15 << 10} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			payload := randomText(size, uint64(size))
			var ts timings
			for range 5 {
				start := time.Now()
				got, err := stock.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
					DestinationIdentity: "go-engine", Method: greetMethod, Payload: payload,
				})
				ts = append(ts, time.Since(start))
				if err != nil || got == nil || *got != "hello "+payload[:16] {
					t.Fatalf("PerformRpc = %v, %v", got, err)
				}
				if tr := <-arrived; tr.Kind != transport.KindPacket {
					t.Fatalf("request arrived as %v, want a v1 packet", tr)
				}
			}
			ts.log(t, fmt.Sprintf("stock→engine %d B", size))
		})
	}

	t.Run("application error with data", func(t *testing.T) {
		_, err := stock.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
			DestinationIdentity: "go-engine", Method: greetMethod, Payload: "fail",
		})
		<-arrived
		var re *lksdk.RpcError
		if !errors.As(err, &re) || re.Code != 2001 || re.Message != "no greeting today" || re.Data == nil || *re.Data != `{"why":"asked to"}` {
			t.Fatalf("PerformRpc error = %#v, want code 2001 with message and data", err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := stock.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
			DestinationIdentity: "go-engine", Method: "no.such/Method", Payload: "x",
		})
		var re *lksdk.RpcError
		if !errors.As(err, &re) || re.Code != rpcerr.UnsupportedMethod {
			t.Fatalf("PerformRpc error = %v, want 1400", err)
		}
	})
}

// An engine calls a stock server-sdk-go handler: v1 packets within 15360
// bytes, and over it the engine refuses at once with 1402 (the peer
// advertises 0, so no stream is possible).
func TestEngineCallsStockHandler(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	stock := srv.StockRoom(t, room, "stock-go", nil)
	err := stock.RegisterRpcMethod(greetMethod, func(d lksdk.RpcInvocationData) (string, error) {
		if d.Payload == "fail" {
			return "", lksdk.NewRpcError(2002, "stock says no", ptr(`{"n":1}`))
		}
		return d.Payload, nil // echo: a reply as large as the request
	})
	if err != nil {
		t.Fatal(err)
	}
	l := srv.ConnectLink(t, room, "go-engine")
	eng := engine.New(l)
	t.Cleanup(func() { _ = eng.Close() })
	p := lkserver.WaitParticipant(t, l, "stock-go")
	if p.ClientProtocol != 0 {
		t.Fatalf("stock peer advertises %d, want 0", p.ClientProtocol)
	}
	stock.WaitSees(t, "go-engine")

	ctx := context.Background()
	for _, size := range []int{16, 15 << 10} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			payload := randomText(size, uint64(size)+1)
			var ts timings
			for range 5 {
				start := time.Now()
				reply, err := eng.Call(ctx, transport.Call{Destination: "stock-go", Method: greetMethod, Payload: payload, Timeout: 10 * time.Second})
				ts = append(ts, time.Since(start))
				if err != nil || reply.Payload != payload {
					t.Fatalf("Call = %d bytes, %v", len(reply.Payload), err)
				}
				if reply.Request.Kind != transport.KindPacket || reply.Response.Kind != transport.KindPacket {
					t.Fatalf("transfers %v / %v, want v1 packets both ways", reply.Request, reply.Response)
				}
			}
			ts.log(t, fmt.Sprintf("engine→stock %d B", size))
		})
	}
	t.Run("over the v1 limit", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "stock-go", Method: greetMethod, Payload: randomText(100<<10, 3)})
		if rpcerr.Code(err) != rpcerr.RequestPayloadTooLarge {
			t.Fatalf("100 KiB to a protocol-0 peer = %v, want 1402", err)
		}
	})
	t.Run("application error with data", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "stock-go", Method: greetMethod, Payload: "fail"})
		e, ok := rpcerr.From(err)
		if !ok || e.Code != 2002 || e.Message != "stock says no" || e.Data != `{"n":1}` {
			t.Fatalf("Call = %v, want 2002 with message and data", err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "stock-go", Method: "no.such/Method", Payload: "x"})
		if rpcerr.Code(err) != rpcerr.UnsupportedMethod {
			t.Fatalf("Call = %v, want 1400", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
