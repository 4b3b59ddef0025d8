package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestThousandConcurrentCalls(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolStreamsV2, link.ProtocolStreamsV2)
	register(t, p.bob, "echo", echo)
	const calls = 1000
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Go(func() {
			payload := fmt.Sprintf("call %d ", i)
			if i%50 == 0 {
				payload = strings.Repeat(payload, 4000) // some multi-packet streams among them
			}
			r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: payload})
			switch {
			case err != nil:
				errs <- fmt.Errorf("call %d: %w", i, err)
			case r.Payload != payload:
				errs <- fmt.Errorf("call %d: got another call's reply", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Acks, timers, responses, cancellations and leaves race; every call must
// end exactly once with one of the outcomes those paths produce.
func TestCallsEndExactlyOnceUnderRaces(t *testing.T) {
	checkGoroutines(t)
	var mu sync.Mutex
	n := 0
	l, e := newCaller(t, link.ProtocolV1,
		engine.WithAckTimeout(2*time.Millisecond),
		engine.WithIDs(func() string { mu.Lock(); defer mu.Unlock(); n++; return fmt.Sprintf("id-%d", n) }))

	const calls = 400
	stop, answered := make(chan struct{}), make(chan struct{})
	go func() { // bob: ack and answer every request at once
		defer close(answered)
		for {
			var pkt *livekit.DataPacket
			select {
			case pkt = <-l.sent:
			case <-stop:
				return
			}
			req := pkt.GetRpcRequest()
			l.deliver(rpcAck("bob", req.GetId()))
			l.deliver(rpcResponse("bob", req.GetId(), req.GetPayload()))
			if req.GetPayload() == "leave" {
				l.leave("bob")
				l.join(link.Participant{Identity: "bob"})
			}
		}
	}()

	var wg sync.WaitGroup
	outcomes := make(chan string, calls)
	for i := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+i%3)*time.Millisecond)
			defer cancel()
			payload := "x"
			if i%40 == 0 {
				payload = "leave"
			}
			if i%7 == 0 {
				go cancel()
			}
			r, err := e.Call(ctx, transport.Call{Destination: "bob", Method: "m", Payload: payload, Timeout: time.Duration(1+i%2) * time.Millisecond})
			switch {
			case err == nil && r.Payload == payload:
				outcomes <- "ok"
			case errors.Is(err, context.Canceled):
				outcomes <- "canceled"
			// 1401: the ack timer fired while bob was between leaving and
			// joining again, so the room did not know him (the join window's
			// "not found" rule).
			case rpcerr.Code(err) == rpcerr.ConnectionTimeout, rpcerr.Code(err) == rpcerr.ResponseTimeout,
				rpcerr.Code(err) == rpcerr.RecipientDisconnected, rpcerr.Code(err) == rpcerr.RecipientNotFound:
				outcomes <- fmt.Sprint(rpcerr.Code(err))
			default:
				outcomes <- fmt.Sprintf("unexpected: %v / %q", err, r.Payload)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-answered
	close(outcomes)
	count := map[string]int{}
	for o := range outcomes {
		count[o]++
		if strings.HasPrefix(o, "unexpected") {
			t.Error(o)
		}
	}
	total := 0
	for _, c := range count {
		total += c
	}
	if total != calls {
		t.Fatalf("%d outcomes for %d calls", total, calls)
	}
	t.Logf("outcomes: %v", count)
}

// A big response stream blocked on backpressure must not hold up the acks
// and responses of other requests.
func TestControlPacketsDoNotQueueBehindStreams(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolRPCv2, link.ProtocolRPCv2)
	big := strings.Repeat("b", 200000)
	register(t, p.bob, "big", func(context.Context, *transport.Request) (string, error) { return big, nil })
	register(t, p.bob, "small", echo)

	release := make(chan struct{})
	blocked := make(chan struct{}, 1)
	p.bobLink.setHook(func(ctx context.Context, pkt *livekit.DataPacket) error {
		if pkt.GetStreamChunk().GetChunkIndex() == 2 {
			select {
			case blocked <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	bigCall := goCall(context.Background(), p.alice, transport.Call{Destination: "bob", Method: "big"})
	<-blocked
	r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "small", Payload: "hi"})
	if err != nil || r.Payload != "hi" {
		t.Fatalf("small call behind a blocked stream: %v", err)
	}
	stillRunning(t, bigCall, 10*time.Millisecond)
	close(release)
	if r := await(t, bigCall); r.err != nil || r.reply.Payload != big {
		t.Fatalf("big call: %v", r.err)
	}
}
