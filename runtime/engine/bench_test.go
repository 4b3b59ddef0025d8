package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Round trips between two engines over the in-memory fake link: the cost of
// the engine itself (and of datastream encoding), without a network.

func benchmarkEcho(b *testing.B, aliceProto, bobProto int32, payload string) {
	p := newPair(b, aliceProto, bobProto)
	if _, err := p.bob.Register("echo", echo); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: payload})
		if err != nil || len(r.Payload) != len(payload) {
			b.Fatal(err)
		}
	}
}

func BenchmarkEchoSmallV1Packets(b *testing.B) {
	benchmarkEcho(b, link.ProtocolV1, link.ProtocolV1, `{"name":"world"}`)
}

func BenchmarkEchoSmallV2Inline(b *testing.B) {
	benchmarkEcho(b, link.ProtocolStreamsV2, link.ProtocolStreamsV2, `{"name":"world"}`)
}

func BenchmarkEcho1MiBPlainStream(b *testing.B) {
	benchmarkEcho(b, link.ProtocolRPCv2, link.ProtocolRPCv2, compressible(1<<20))
}

func BenchmarkEcho1MiBDeflateStream(b *testing.B) {
	benchmarkEcho(b, link.ProtocolStreamsV2, link.ProtocolStreamsV2, compressible(1<<20))
}

func BenchmarkEcho1MiBIncompressible(b *testing.B) {
	var sb strings.Builder
	x := uint32(1)
	for sb.Len() < 1<<20 {
		x = x*1664525 + 1013904223
		sb.WriteByte(byte(' ' + (x>>24)%94))
	}
	benchmarkEcho(b, link.ProtocolStreamsV2, link.ProtocolStreamsV2, sb.String())
}
