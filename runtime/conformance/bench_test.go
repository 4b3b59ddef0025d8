package conformance_test

import (
	"context"
	"testing"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// BenchmarkCall measures an echo call between two engines on memroom: the
// cost of the protocol engine and the room, without a network.
func BenchmarkCall(b *testing.B) {
	for _, tc := range []struct {
		name    string
		payload string
	}{
		{"1KiB", noisy(1 << 10)},
		{"64KiB-noisy", noisy(64 << 10)},
		{"1MiB-json", compressible(1 << 20)},
		{"1MiB-noisy", noisy(1 << 20)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			room, err := memroom.New()
			if err != nil {
				b.Fatal(err)
			}
			defer room.Close()
			pa, _ := room.Join("alice")
			pb, _ := room.Join("bob")
			alice, errA := engine.New(pa)
			bob, errB := engine.New(pb)
			if errA != nil || errB != nil {
				b.Fatal(errA, errB)
			}
			defer alice.Close()
			defer bob.Close()
			if _, err := bob.Register("echo", echo); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(2 * len(tc.payload)))
			var last transport.Reply
			for b.Loop() {
				r, err := alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: tc.payload})
				if err != nil {
					b.Fatal(err)
				}
				last = r
			}
			b.ReportMetric(float64(last.Request.WireBytes), "wire-B/req")
			b.Logf("request %v, %d packets", last.Request, last.Request.Packets)
		})
	}
}
