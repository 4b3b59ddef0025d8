package main

import (
	"context"
	"fmt"
	"testing"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// inProcess is row 5: a generated Ping against a raw-string engine call
// carrying the same bytes, both between two engines on memroom, as Go
// benchmarks (testing.Benchmark), alternating rounds and keeping each
// side's best round.
func inProcess(ctx context.Context, b *bench) ([]Row, error) {
	p, err := newInProcPair()
	if err != nil {
		return nil, err
	}
	defer p.close()
	client, caller := p.client, p.caller
	var failure error
	typed := func(tb *testing.B) {
		tb.ReportAllocs()
		for tb.Loop() {
			if _, err := client.Ping(ctx, &agentv1.PingRequest{}); err != nil {
				failure = err
				tb.SkipNow()
			}
		}
	}
	raw := func(tb *testing.B) {
		tb.ReportAllocs()
		for tb.Loop() {
			rep, err := caller.Call(ctx, transport.Call{Destination: "bob", Method: stockPingMethod, Payload: "{}"})
			if err != nil || rep.Payload != stockPingReply {
				failure = fmt.Errorf("raw call: %v (reply %q)", err, rep.Payload)
				tb.SkipNow()
			}
		}
	}
	var bestTyped, bestRaw testing.BenchmarkResult
	for range b.count(5, 1) {
		for _, side := range []struct {
			f    func(*testing.B)
			best *testing.BenchmarkResult
		}{{typed, &bestTyped}, {raw, &bestRaw}} {
			r := testing.Benchmark(side.f)
			if failure != nil {
				return nil, failure
			}
			if side.best.N == 0 || r.NsPerOp() < side.best.NsPerOp() {
				*side.best = r
			}
		}
	}
	rt := float64(bestTyped.NsPerOp()) / float64(bestRaw.NsPerOp())
	extra := bestTyped.AllocsPerOp() - bestRaw.AllocsPerOp()
	b.note("Row 5: both calls go alice→bob through two engines on memroom (a payload this small travels in RPC v1 packets: "+
		"request, ack, response); the typed call adds %d allocations and %d B per call (%d vs %d allocs, %d vs %d B): the "+
		"typed layer's own 5 (the reply's JSON text, the client's reply message and its Timestamp, the handler's request "+
		"message, the caller in the handler's context), the handler's reply and its Timestamp (2) and the benchmark's "+
		"request (1); the JSON codec's own encoder and decoder (runtime/codec/fastjson.go) write and read what protojson "+
		"does without its allocations. Where a call's allocations go (go test ./bench/rpc -bench InProcTypedPing "+
		"-memprofile): memroom's delivery ~19 (proto.Clone of the three packets 13, recipients 3, flight 3), engine ~27 "+
		"(the three packets 10; the handler's deadline context and timer 4; the pending-call entry and its cancellable "+
		"context 4; ack and response timers 4; the inbound request 2; the caller's serving state, the request id and the "+
		"transport.Request 1 each).",
		extra, bestTyped.AllocedBytesPerOp()-bestRaw.AllocedBytesPerOp(),
		bestTyped.AllocsPerOp(), bestRaw.AllocsPerOp(), bestTyped.AllocedBytesPerOp(), bestRaw.AllocedBytesPerOp())
	return []Row{{
		ID: "5",
		Figure: fmt.Sprintf("in process (memroom), generated `Ping`: %.1f µs/op, %d allocs/op, %d B/op",
			float64(bestTyped.NsPerOp())/1e3, bestTyped.AllocsPerOp(), bestTyped.AllocedBytesPerOp()),
		Baseline: fmt.Sprintf("raw-string engine call, same bytes: %.1f µs/op, %d allocs/op, %d B/op",
			float64(bestRaw.NsPerOp())/1e3, bestRaw.AllocsPerOp(), bestRaw.AllocedBytesPerOp()),
		Ratio: rt, Target: fmt.Sprintf("≤ 1.20× ns/op and ≤ %d allocs/op (half of the 224 before issue 14)", maxTypedAllocs),
		Status: verdict(rt <= 1.2 && bestTyped.AllocsPerOp() <= maxTypedAllocs),
	}}, nil
}

// maxTypedAllocs is row 5's allocation target: half the 224 allocations a
// typed Ping took before issue 14.
const maxTypedAllocs = 112

// inProcPair is row 5's setup: alice's engine calls bob's, which serves the
// generated VoiceAgent and the raw stock ping method, on memroom.
type inProcPair struct {
	room            *memroom.Room
	caller, handler *engine.Engine
	client          agentv1.VoiceAgentClient
}

func newInProcPair() (_ *inProcPair, err error) {
	room, err := memroom.New()
	if err != nil {
		return nil, err
	}
	p := &inProcPair{room: room}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	alice, err := room.Join("alice")
	if err != nil {
		return nil, err
	}
	bob, err := room.Join("bob")
	if err != nil {
		return nil, err
	}
	if p.caller, err = engine.New(alice); err != nil {
		return nil, err
	}
	if p.handler, err = engine.New(bob); err != nil {
		return nil, err
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(p.handler, agent{}); err != nil {
		return nil, err
	}
	if _, err := p.handler.Register(stockPingMethod, func(context.Context, *transport.Request) (string, error) {
		return stockPingReply, nil
	}); err != nil {
		return nil, err
	}
	p.client = agentv1.NewVoiceAgentClient(p.caller, "bob")
	return p, nil
}

func (p *inProcPair) close() {
	if p.caller != nil {
		_ = p.caller.Close()
	}
	if p.handler != nil {
		_ = p.handler.Close()
	}
	p.room.Close()
}
