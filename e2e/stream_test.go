package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Server streaming (docs/PROTOCOL.md §8) Go ↔ Go through livekit-server:
// the example VoiceAgent's Answer through the generated client, and raw
// streaming methods for what the example does not do: large messages, an
// error mid-stream, cancellation reaching the handler, the handler leaving.
func TestServerStreamingGoToGo(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	connect := func(identity string) *lkrpc.Conn {
		c, err := lkrpc.Connect(ctx, srv.URL, srv.Token(t, identity, room))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	server, caller := connect("agent"), connect("frontend")
	if _, err := agentv1.RegisterVoiceAgentHandler(server, agent.New("alloy")); err != nil {
		t.Fatal(err)
	}
	var stopped atomic.Int64 // when the "forever" handler saw its context end (unix ns)
	if _, err := server.RegisterStream("big", func(_ context.Context, r *transport.Request, send func(string) error) error {
		for i := range 10 {
			if err := send(fmt.Sprintf("%d%s", i, strings.Repeat("x", 1<<20))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.RegisterStream("fails", func(_ context.Context, _ *transport.Request, send func(string) error) error {
		_ = send("one")
		return rpcerr.BuiltinData(4040, `{"why":"mid-stream"}`)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.RegisterStream("forever", func(ctx context.Context, _ *transport.Request, send func(string) error) error {
		for i := 0; ; i++ {
			if err := send(fmt.Sprint(i)); err != nil {
				stopped.Store(time.Now().UnixNano())
				return err
			}
			select {
			case <-ctx.Done():
				stopped.Store(time.Now().UnixNano())
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := caller.WaitServes(ctx, "agent", agentv1.VoiceAgentServiceName); err != nil {
		t.Fatal(err)
	}

	t.Run("answer word by word", func(t *testing.T) {
		start := time.Now()
		stream, err := agentv1.NewVoiceAgentClient(caller, "agent").Answer(ctx, &agentv1.AnswerRequest{Question: "the wire"})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		var text strings.Builder
		var firstAt time.Duration
		n := 0
		for stream.Receive() {
			if n == 0 {
				firstAt = time.Since(start)
			}
			text.WriteString(stream.Msg().GetText())
			n++
		}
		if err := stream.Err(); err != nil || !strings.HasPrefix(text.String(), "You asked about the wire.") {
			t.Fatalf("after %d chunks: %v, %q", n, err, text.String())
		}
		t.Logf("Answer: %d chunks, first after %v, all after %v (the agent pauses %v between words)",
			n, firstAt.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), agent.TokenDelay)
	})

	t.Run("10 MiB in 1 MiB messages", func(t *testing.T) {
		start := time.Now()
		rs, err := caller.CallStream(ctx, transport.StreamCall{Destination: "agent", Method: "big"})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for i := range 10 {
			p, err := rs.Recv()
			if err != nil || len(p) != 1<<20+1 || p[0] != byte('0'+i) {
				t.Fatalf("message %d: %d bytes, %v", i, len(p), err)
			}
		}
		if _, err := rs.Recv(); err == nil || err.Error() != "EOF" {
			t.Fatalf("end: %v, want io.EOF", err)
		}
		t.Logf("10 MiB in 10 messages: %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("error mid-stream", func(t *testing.T) {
		rs, err := caller.CallStream(ctx, transport.StreamCall{Destination: "agent", Method: "fails"})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		if p, err := rs.Recv(); p != "one" || err != nil {
			t.Fatalf("first: %q, %v", p, err)
		}
		_, err = rs.Recv()
		if e, ok := rpcerr.From(err); !ok || e.Code != 4040 || e.Data != `{"why":"mid-stream"}` {
			t.Fatalf("end: %v, want 4040 with data", err)
		}
	})

	t.Run("cancel reaches the handler", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		rs, err := caller.CallStream(cctx, transport.StreamCall{Destination: "agent", Method: "forever"})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for range 5 {
			if _, err := rs.Recv(); err != nil {
				t.Fatal(err)
			}
		}
		stopped.Store(0)
		at := time.Now()
		ccancel()
		if _, err := rs.Recv(); !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancel: %v", err)
		}
		for deadline := time.Now().Add(5 * time.Second); stopped.Load() == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		}
		if stopped.Load() == 0 {
			t.Fatal("the handler never stopped")
		}
		t.Logf("cancel reached the handler after %v", time.Unix(0, stopped.Load()).Sub(at).Round(time.Millisecond))
	})

	t.Run("a plain SDK peer", func(t *testing.T) {
		// A stock server-sdk-go participant has no handler for lkrpc's
		// topics and ignores the request: the call ends at the ack timeout
		// with 1501 saying why.
		srv.StockRoom(t, room, "stock", nil)
		impatient, err := lkrpc.Connect(ctx, srv.URL, srv.Token(t, "impatient", room),
			lkrpc.WithEngineOptions(engine.WithAckTimeout(2*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		defer impatient.Close()
		if _, err := impatient.WaitParticipant(ctx, "stock"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rs, err := impatient.CallStream(ctx, transport.StreamCall{Destination: "stock", Method: "forever"})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		_, err = rs.Recv()
		if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.ConnectionTimeout || !strings.Contains(e.Data, "without lkrpc") {
			t.Fatalf("streaming call to a stock SDK peer: %v, want 1501 saying it may not run lkrpc", err)
		}
		t.Logf("stock peer: %v after %v", err, time.Since(start).Round(time.Millisecond))
	})

	t.Run("handler leaves", func(t *testing.T) {
		rs, err := caller.CallStream(ctx, transport.StreamCall{Destination: "agent", Method: "forever"})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		if _, err := rs.Recv(); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		_ = server.Close()
		for {
			if _, err := rs.Recv(); err != nil {
				if rpcerr.Code(err) != rpcerr.RecipientDisconnected {
					t.Fatalf("after the handler left: %v, want 1503", err)
				}
				break
			}
		}
		t.Logf("the caller saw the handler leave after %v", time.Since(at).Round(time.Millisecond))
	})
}
