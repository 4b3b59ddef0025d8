package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/link/roomadapter"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The room adapter on a stock *lksdk.Room, in place of the engine, against
// real peers: what RPC v1 carries works both ways (the generated service
// included), and what needs v2 fails at once or with the prescribed code.
func TestRoomAdapter(t *testing.T) {
	srv := lkserver.Require(t)
	for _, pk := range matrixPeerKinds()[:3] { // livekit-client 2.23, rtc-node, stock Go
		t.Run(pk.identity, func(t *testing.T) { runAdapterCases(t, srv, pk) })
	}
}

func runAdapterCases(t *testing.T, srv *lkserver.Server, pk peerKind) {
	room := lkserver.RoomName(t)
	stock := srv.StockRoom(t, room, goIdentity, nil) // the app's own room, media and all
	adapter, err := roomadapter.New(stock.Room, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adapter.Register(echoMethod, goEcho); err != nil {
		t.Fatal(err)
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(adapter, matrixAgent{}); err != nil {
		t.Fatal(err)
	}
	peer := pk.join(t, srv, room, pk.identity)
	stock.WaitSees(t, pk.identity)
	peer.serve(t, echoMethod)

	t.Run("peer calls the adapter", func(t *testing.T) {
		for _, size := range []int{16, 15 << 10} {
			payload := randtext.New(size, uint64(size))
			if o := peer.callGo(t, echoMethod, payload, 10*time.Second, true); !o.OK || !o.Echoed {
				t.Fatalf("%d B: %v", size, o)
			}
		}
		// The adapter's room advertises protocol 0: the peer's SDK refuses
		// a large request itself, and a large reply is 1504.
		if o := peer.callGo(t, echoMethod, randtext.New(100<<10, 5), 10*time.Second, true); o.OK || o.Code != rpcerr.RequestPayloadTooLarge {
			t.Fatalf("100 KiB to the adapter: %v, want 1402", o)
		}
		if o := peer.callGo(t, echoMethod, "big:102400", 10*time.Second, false); o.OK || o.Code != rpcerr.ResponsePayloadTooLarge {
			t.Fatalf("100 KiB reply from the adapter: %v, want 1504", o)
		}
		if o := peer.callGo(t, echoMethod, "fail", 10*time.Second, false); o.OK || o.Code != 2001 || o.Message != "no greeting today" || o.Data != `{"why":"asked to"}` {
			t.Fatalf("application error: %v, want 2001 with message and data", o)
		}
		if o := peer.callGo(t, "no.such/Method", "x", 10*time.Second, false); o.OK || o.Code != rpcerr.UnsupportedMethod {
			t.Fatalf("unknown method: %v, want 1400", o)
		}
		if o := peer.callGo(t, agentv1.VoiceAgentSummarizeMethod, `{"document":{"text":"a b c d"},"maxWords":2}`, 10*time.Second, false); !o.OK || !strings.Contains(o.Payload, `"a b"`) {
			t.Fatalf("Summarize through the generated handler on the adapter: %v %q", o, o.Payload)
		}
	})

	t.Run("adapter calls the peer", func(t *testing.T) {
		ctx := context.Background()
		call := func(method, payload string, timeout time.Duration) (transport.Reply, error) {
			c := transport.Call{Destination: pk.identity, Method: method, Payload: payload, Timeout: timeout}
			reply, err := adapter.Call(ctx, c)
			if rpcerr.Code(err) == rpcerr.ConnectionTimeout {
				t.Logf("%s: %v; retrying once (%s)", method, err, stockAckRace)
				reply, err = adapter.Call(ctx, c)
			}
			return reply, err
		}
		for _, size := range []int{16, 15 << 10} {
			payload := randtext.New(size, uint64(size)+7)
			reply, err := call(echoMethod, payload, 10*time.Second)
			if err != nil || reply.Payload != payload {
				t.Fatalf("%d B: %d bytes back, %v", size, len(reply.Payload), err)
			}
			if reply.Request.Form != transport.FormPacket || reply.Response.Form != transport.FormPacket {
				t.Fatalf("%d B: %v / %v, want v1 packets", size, reply.Request, reply.Response)
			}
		}
		start := time.Now()
		_, err := call(echoMethod, randtext.New(100<<10, 6), 10*time.Second)
		if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.RequestPayloadTooLarge || !strings.Contains(e.Message, "runtime/link/rtc") {
			t.Fatalf("100 KiB = %v, want 1402 naming runtime/link/rtc", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("the refusal took %v, want at once", took)
		}
		_, err = call(echoMethod, "fail", 10*time.Second)
		if e, ok := rpcerr.From(err); !ok || *e != pk.appErr {
			t.Fatalf("application error = %v, want %v", err, &pk.appErr)
		}
		if _, err := call("no.such/Method", "x", 10*time.Second); rpcerr.Code(err) != rpcerr.UnsupportedMethod {
			t.Fatalf("unknown method = %v, want 1400", err)
		}
		if _, err := call(echoMethod, "slow", time.Second); rpcerr.Code(err) != rpcerr.ResponseTimeout {
			t.Fatalf("timeout = %v, want 1502", err)
		}
		// PerformRpc takes no context; the adapter still returns when the
		// caller's context is cancelled.
		cctx, cancel := context.WithCancel(ctx)
		stop := time.AfterFunc(300*time.Millisecond, cancel)
		defer stop.Stop()
		start = time.Now()
		_, err = adapter.Call(cctx, transport.Call{Destination: pk.identity, Method: echoMethod, Payload: "slow", Timeout: 10 * time.Second})
		if !errors.Is(err, context.Canceled) || time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("a call cancelled after 300 ms = %v after %v, want context.Canceled at once", err, time.Since(start))
		}
	})

	t.Run("generated client on the adapter", func(t *testing.T) {
		peer.servePing(t, agentv1.VoiceAgentPingMethod)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := agentv1.NewVoiceAgentClient(adapter, pk.identity).Ping(ctx, &agentv1.PingRequest{})
		if err != nil || resp.GetTime() == nil {
			t.Fatalf("Ping = %v, %v", resp, err)
		}
	})
}
