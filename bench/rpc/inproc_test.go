package main

import (
	"context"
	"testing"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Row 5's two sides as Go benchmarks, for profiles:
//
//	go test ./bench/rpc -run '^$' -bench InProc -benchmem -cpuprofile cpu.out -memprofile mem.out

func BenchmarkInProcTypedPing(b *testing.B) {
	p, err := newInProcPair()
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.client.Ping(ctx, &agentv1.PingRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInProcRawCall(b *testing.B) {
	p, err := newInProcPair()
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rep, err := p.caller.Call(ctx, transport.Call{Destination: "bob", Method: stockPingMethod, Payload: "{}"})
		if err != nil || rep.Payload != stockPingReply {
			b.Fatalf("raw call: %v (reply %q)", err, rep.Payload)
		}
	}
}
