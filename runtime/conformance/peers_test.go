package conformance_test

import (
	"testing"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The scripted livekit-client peers and the engine understand each other
// both ways (a precondition of every test that uses them).
func TestPeers_ScriptedClientsInteroperate(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"}); r.Payload != "hi" {
		t.Fatalf("payload %q", r.Payload)
	}
	serve(t, alice, "echo", echo)
	for _, v := range []jsVersion{js218, js219, js223} {
		p := b.jsPeer("js"+string(rune('0'+v%10)), v)
		p.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })
		if r := mustCall(t, alice, transport.Call{Destination: p.identity, Method: "echo", Payload: "yo"}); r.Payload != "yo" {
			t.Errorf("%d: payload %q", v, r.Payload)
		}
		if r := p.call("alice", "echo", "back", waitLimit); r.Err != nil || r.Payload != "back" {
			t.Errorf("%d: js call = %+v", v, r)
		}
	}
}
