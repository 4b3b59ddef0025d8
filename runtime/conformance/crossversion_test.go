package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The cross-version table of PROTOCOL.md §3.6, row by row: how the request,
// a success and an error travel for each pairing.

func TestCrossVersion_V2ToV2(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", protocol1)
	bob := b.engine("bob", protocol1)
	serve(t, bob, "echo", echo)
	serve(t, bob, "fail", func(contextT, *transport.Request) (string, error) { return "", rpcerr.New(7, "no") })

	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: large})
	if r.Request.Form != transport.FormStream || r.Response.Form != transport.FormStream {
		t.Errorf("request %v, success %v; want streams", r.Request, r.Response)
	}
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "fail", Payload: large})
	wantCode(t, err, 7)
	if n := len(b.log.where(and(from("bob"), kind[respPkt]))); n != 1 {
		t.Errorf("the error went as %d packets, want 1", n)
	}
}

func TestCrossVersion_V2ToV1(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js218) // fails the test if it is sent a stream
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })
	bob.handle("fail", func(jsRequest) (string, *lkErr) { return "", &lkErr{Code: 7, Message: "no"} })

	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
	if r.Request.Form != transport.FormPacket || r.Response.Form != transport.FormPacket {
		t.Errorf("request %v, success %v; want packets", r.Request, r.Response)
	}
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "fail", Payload: "x"})
	wantCode(t, err, 7)
	_, err = call(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: strings.Repeat("x", 15361)})
	wantCode(t, err, rpcerr.RequestPayloadTooLarge)
}

// The requirement: a call from a v1-only peer gets a v1 packet reply.
func TestCrossVersion_V1ToV2(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	serve(t, bob, "fail", func(contextT, *transport.Request) (string, error) { return "", rpcerr.New(7, "no") })
	serve(t, bob, "big", answer(strings.Repeat("é", 7681)))
	alice := b.jsPeer("alice", js218) // fails the test if it is sent a stream

	if r := alice.call("bob", "echo", "hi", waitLimit); r.Err != nil || r.Payload != "hi" {
		t.Fatalf("echo: %+v", r)
	}
	fromBob := b.log.where(from("bob"))
	if len(fromBob) != 2 || !kind[ackPkt](fromBob[0]) || fromBob[1].Packet.GetRpcResponse().GetPayload() != "hi" {
		t.Errorf("bob answered a v1-only caller with\n%s want an ack and an RpcResponse packet", describe(fromBob))
	}
	if r := alice.call("bob", "big", "x", waitLimit); r.Err == nil || r.Err.GetCode() != rpcerr.ResponsePayloadTooLarge {
		t.Errorf("15362-byte answer to a v1 caller: %+v, want 1504", r.Err)
	}
	if r := alice.call("bob", "fail", "x", waitLimit); r.Err == nil || r.Err.GetCode() != 7 {
		t.Errorf("fail: %+v", r.Err)
	}
	if n := len(b.log.where(kind[headerPkt])); n != 0 {
		t.Errorf("%d streams between a v1-only peer and lkrpc", n)
	}
}

func TestCrossVersion_V1ToV1(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", protocol0)
	bob := b.engine("bob", protocol0)
	serve(t, bob, "echo", echo)
	serve(t, bob, "fail", func(contextT, *transport.Request) (string, error) { return "", rpcerr.New(7, "no") })
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
	if r.Request.Form != transport.FormPacket || r.Response.Form != transport.FormPacket {
		t.Errorf("request %v, success %v; want packets", r.Request, r.Response)
	}
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "fail", Payload: "x"})
	wantCode(t, err, 7)
	if n := len(b.log.where(kind[headerPkt])); n != 0 {
		t.Errorf("%d streams between two protocol-0 peers", n)
	}
}

// livekit-client 2.19 (protocol 1) calling lkrpc: every call is a plain
// request stream without total_length; answers come back as streams it can
// read (the scripted peer fails the test on anything else).
func TestCrossVersion_JS219CallsEngine(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	alice := b.jsPeer("alice", js219)
	for _, payload := range []string{"", "hi", large, strings.Repeat("ü", 20000)} {
		if r := alice.call("bob", "echo", payload, waitLimit); r.Err != nil || r.Payload != payload {
			t.Errorf("%d bytes: %v (intact %v)", len(payload), r.Err, r.Payload == payload)
		}
	}
	if n := len(b.log.where(and(from("alice"), kind[reqPkt]))); n != 0 {
		t.Errorf("the scripted 2.19 sent %d v1 requests", n)
	}
	for _, d := range b.log.where(and(from("alice"), kind[headerPkt])) {
		if d.Packet.GetStreamHeader().TotalLength != nil {
			t.Fatal("the scripted 2.19 set total_length")
		}
	}
}

// livekit-client 2.23 (protocol 2 + deflate) calling lkrpc.
func TestCrossVersion_JS223CallsEngine(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	alice := b.jsPeer("alice", js223)
	for _, payload := range []string{"", "hi", large, compressible(300_000)} {
		if r := alice.call("bob", "echo", payload, 10*time.Second); r.Err != nil || r.Payload != payload {
			t.Errorf("%d bytes: %v (intact %v)", len(payload), r.Err, r.Payload == payload)
		}
	}
}
