package engine_test

import (
	"context"
	"maps"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The handler learns the caller's kind and attributes from the room (not
// from the request), and gets its own copy of the attributes.
func TestServeDescribesCaller(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "bob", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	attrs := map[string]string{"role": "dispatcher"}
	l.join(link.Participant{Identity: "agent", Kind: livekit.ParticipantInfo_AGENT, Attributes: attrs})
	l.sync()
	type seen struct {
		kind  string
		attrs map[string]string
	}
	got := make(chan seen, 2)
	register(t, e, "who", func(_ context.Context, req *transport.Request) (string, error) {
		got <- seen{req.CallerKind, maps.Clone(req.CallerAttributes)}
		if req.CallerAttributes != nil {
			req.CallerAttributes["role"] = "changed by the handler"
		}
		return "", nil
	})

	l.deliver(rpcRequest("agent", "r1", "who", "", 5000, 1))
	if s := <-got; s.kind != "AGENT" || !maps.Equal(s.attrs, map[string]string{"role": "dispatcher"}) {
		t.Errorf("caller described as kind %q attributes %v", s.kind, s.attrs)
	}

	// A caller the room does not know gets no description.
	l.deliver(rpcRequest("stranger", "r2", "who", "", 5000, 1))
	if s := <-got; s.kind != "" || s.attrs != nil {
		t.Errorf("unknown caller described as kind %q attributes %v", s.kind, s.attrs)
	}
	for range 4 {
		l.next(t) // acks and responses: both handlers have returned
	}
	// The handler wrote to its copy, not to what the link holds.
	if p, _ := l.Participant("agent"); p.Attributes["role"] != "dispatcher" {
		t.Error("the handler's attributes alias the link's")
	}
}
