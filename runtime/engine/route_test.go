package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// compressible is JSON-like text that raw DEFLATE shrinks well.
func compressible(n int) string {
	return strings.Repeat(`{"name":"value","n":1},`, n/23+1)[:n]
}

// TestTransportChoice runs real calls between two engines and checks how
// request and response travelled, for each pair of client protocols. Each
// case makes one call first: the first request to a v2 peer is a stream
// whatever its size (TestFirstRequestIntroduces).
func TestTransportChoice(t *testing.T) {
	checkGoroutines(t)
	const v0, v1, v2 = link.ProtocolV1, link.ProtocolRPCv2, link.ProtocolStreamsV2
	small, large := "hello", compressible(40000)
	cases := []struct {
		name            string
		alice, bob      int32
		payload         string
		route           transport.Form
		request, answer transport.Form
		reqZ, respZ     bool // compressed
	}{
		{"v0 peers small", v0, v0, small, transport.FormNone, transport.FormPacket, transport.FormPacket, false, false},
		{"v1 peers small", v1, v1, small, transport.FormNone, transport.FormPacket, transport.FormPacket, false, false},
		{"v1 peers large", v1, v1, large, transport.FormNone, transport.FormStream, transport.FormStream, false, false},
		{"v2 peers small", v2, v2, small, transport.FormNone, transport.FormPacket, transport.FormPacket, false, false},
		{"v2 peers large", v2, v2, large, transport.FormNone, transport.FormInline, transport.FormInline, true, true},
		// The handler side is also an lkrpc engine: it answers by the caller's protocol.
		{"v2 caller, v0 handler", v2, v0, small, transport.FormNone, transport.FormPacket, transport.FormPacket, false, false},
		{"v0 caller, v2 handler", v0, v2, small, transport.FormNone, transport.FormPacket, transport.FormPacket, false, false},
		{"v1 caller, v2 handler, large", v1, v2, large, transport.FormNone, transport.FormInline, transport.FormStream, true, false},
		{"forced packet to v2", v2, v2, small, transport.FormPacket, transport.FormPacket, transport.FormPacket, false, false},
		{"v2 peers, worth compressing", v2, v2, compressible(10000), transport.FormNone, transport.FormInline, transport.FormInline, true, true},
		{"forced stream to v0", v0, v0, small, transport.FormStream, transport.FormStream, transport.FormPacket, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPair(t, c.alice, c.bob)
			register(t, p.bob, "echo", echo)
			introduce(t, p)
			r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: c.payload, Force: c.route})
			if err != nil {
				t.Fatal(err)
			}
			if r.Payload != c.payload {
				t.Fatalf("echo differs (%d bytes, want %d)", len(r.Payload), len(c.payload))
			}
			if r.Request.Form != c.request || r.Response.Form != c.answer {
				t.Errorf("request %v, response %v; want %v, %v", r.Request, r.Response, c.request, c.answer)
			}
			if r.Request.Compressed != c.reqZ || r.Response.Compressed != c.respZ {
				t.Errorf("compressed: request %v, response %v; want %v, %v", r.Request.Compressed, r.Response.Compressed, c.reqZ, c.respZ)
			}
		})
	}
}

func TestPacketThresholdForV1Peers(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolRPCv2, link.ProtocolRPCv2, engine.WithPacketThreshold(100))
	register(t, p.bob, "echo", echo)
	introduce(t, p)
	for _, c := range []struct {
		size int
		want transport.Form
	}{{100, transport.FormPacket}, {101, transport.FormStream}} {
		r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: strings.Repeat("a", c.size)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Request.Form != c.want || r.Response.Form != c.want {
			t.Errorf("%d bytes: request %v, response %v; want %v", c.size, r.Request, r.Response, c.want)
		}
	}
}

// TestFirstRequestIntroduces: the first request to each v2 peer goes as a
// stream whatever its size, so that the peer learns the caller speaks v2
// before the room may have told it (PROTOCOL.md §6, §7); later small ones
// go as packets, until the peer leaves.
func TestFirstRequestIntroduces(t *testing.T) {
	checkGoroutines(t)
	for _, protocol := range []int32{link.ProtocolRPCv2, link.ProtocolStreamsV2} {
		p := newPair(t, link.ProtocolStreamsV2, protocol)
		register(t, p.bob, "echo", echo)
		for i, want := range []transport.Form{transport.FormStream, transport.FormPacket, transport.FormPacket} {
			r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Request.Form; (got == transport.FormPacket) != (want == transport.FormPacket) {
				t.Errorf("protocol %d, call %d: request %v, want %v", protocol, i+1, r.Request, want)
			}
			if r.Response.Form != transport.FormPacket {
				t.Errorf("protocol %d, call %d: response %v, want a packet", protocol, i+1, r.Response)
			}
		}
	}
}

// introduce makes alice's first call to bob, which goes as a stream
// whatever its size (TestFirstRequestIntroduces), so that the test's own
// calls show the steady-state forms.
func introduce(t *testing.T, p *pair) {
	t.Helper()
	if _, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo"}); err != nil {
		t.Fatal(err)
	}
}

func TestLargeResponseToV0CallerIs1504(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolV1, link.ProtocolStreamsV2)
	register(t, p.bob, "big", func(context.Context, *transport.Request) (string, error) {
		return strings.Repeat("x", 15361), nil
	})
	_, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "big"})
	wantCode(t, err, rpcerr.ResponsePayloadTooLarge)
}

func TestLargePayloadsRoundTrip(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolRPCv2, link.ProtocolRPCv2, engine.WithChunkBytes(4000))
	register(t, p.bob, "echo", echo)
	// Multi-byte text in a plain stream: chunks cut at code points.
	var b strings.Builder
	for i := range 300000 {
		b.WriteRune(rune(0x4e00 + (i*7919)%20000))
	}
	payload := b.String()
	r, err := p.alice.Call(context.Background(), transport.Call{Destination: "bob", Method: "echo", Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	if r.Payload != payload {
		t.Fatal("payload differs after the round trip")
	}
	if r.Request.Form != transport.FormStream || r.Request.Packets < len(payload)/4000 {
		t.Errorf("request transfer %+v, want a chunked stream of 4000-byte chunks", r.Request)
	}
}
