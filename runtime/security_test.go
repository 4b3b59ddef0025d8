package runtime_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// securityRoom is a memroom with bob serving on a real engine; callers join
// with the kinds and attributes a test needs.
type securityRoom struct {
	room *memroom.Room
	bob  *engine.Engine
}

func newSecurityRoom(t *testing.T) *securityRoom {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	bobLink, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := engine.New(bobLink)
	if err != nil {
		t.Fatal(err)
	}
	s := &securityRoom{room: room, bob: bob}
	t.Cleanup(func() {
		s.bob.Close()
		room.Close()
	})
	return s
}

// caller joins identity with opts and returns a client of bob on its engine.
func (s *securityRoom) caller(t *testing.T, identity string, opts ...memroom.JoinOption) *lkrpc.Client {
	t.Helper()
	l, err := s.room.Join(identity, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(l, engine.WithAckTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return lkrpc.NewClient(e, "bob")
}

func TestAuthorizersByIdentityKindAndAttribute(t *testing.T) {
	s := newSecurityRoom(t)
	byIdentity := &lkrpc.Method{Name: "sec.v1/ByIdentity"}
	byKind := &lkrpc.Method{Name: "sec.v1/ByKind"}
	byAttribute := &lkrpc.Method{Name: "sec.v1/ByAttribute"}
	var mu sync.Mutex
	seen := map[string]lkrpc.Caller{} // by identity, as the handlers saw them
	record := func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		c, _ := lkrpc.CallerFromContext(ctx)
		mu.Lock()
		seen[c.Identity] = c
		mu.Unlock()
		return greet(ctx, req)
	}
	mustRegister(t, s.bob, []lkrpc.HandlerDesc{stringDesc(byIdentity, record)},
		lkrpc.WithAuthorizer(lkrpc.AllowIdentities("alice", "operator")))
	mustRegister(t, s.bob, []lkrpc.HandlerDesc{stringDesc(byKind, record)},
		lkrpc.WithAuthorizer(lkrpc.AllowKinds("AGENT", "sip")))
	mustRegister(t, s.bob, []lkrpc.HandlerDesc{stringDesc(byAttribute, record)},
		lkrpc.WithAuthorizer(lkrpc.RequireAttribute("role", "dispatcher")))

	clients := map[string]*lkrpc.Client{
		"alice": s.caller(t, "alice", memroom.WithAttributes(map[string]string{"role": "viewer"})),
		"agent": s.caller(t, "agent", memroom.WithKind(livekit.ParticipantInfo_AGENT),
			memroom.WithAttributes(map[string]string{"role": "dispatcher"})),
		"phone": s.caller(t, "phone", memroom.WithKind(livekit.ParticipantInfo_SIP)),
	}
	for _, c := range []struct {
		caller  string
		method  *lkrpc.Method
		allowed bool
	}{
		{"alice", byIdentity, true},
		{"agent", byIdentity, false},
		{"phone", byIdentity, false},
		{"alice", byKind, false}, // STANDARD
		{"agent", byKind, true},
		{"phone", byKind, true}, // kinds match case-insensitively
		{"alice", byAttribute, false},
		{"agent", byAttribute, true},
		{"phone", byAttribute, false}, // no attributes at all
	} {
		t.Run(c.caller+" "+c.method.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var resp wrapperspb.StringValue
			err := clients[c.caller].Invoke(ctx, c.method, wrapperspb.String(c.caller), &resp)
			if c.allowed {
				if err != nil {
					t.Fatalf("allowed call failed: %v", err)
				}
				if resp.GetValue() != "hello, "+c.caller {
					t.Errorf("reply %q", resp.GetValue())
				}
				return
			}
			if e := wantCode(t, err, lkrpc.PermissionDenied); e.Message != "Permission denied" {
				t.Errorf("refusal message %q reveals more than the default policy allows", e.Message)
			}
		})
	}

	mu.Lock()
	defer mu.Unlock()
	if a := seen["agent"]; a.Kind != "AGENT" || a.Attributes["role"] != "dispatcher" {
		t.Errorf("handler saw agent as kind %q attributes %v", a.Kind, a.Attributes)
	}
	if a := seen["alice"]; a.Kind != "STANDARD" || a.Attributes["role"] != "viewer" {
		t.Errorf("handler saw alice as kind %q attributes %v", a.Kind, a.Attributes)
	}
}

func TestAuthorizerReasonFollowsErrorTextPolicy(t *testing.T) {
	s := newSecurityRoom(t)
	m := &lkrpc.Method{Name: "sec.v1/Admins"}
	mustRegister(t, s.bob, []lkrpc.HandlerDesc{stringDesc(m, greet)},
		lkrpc.WithAuthorizer(lkrpc.RequireAttribute("admin", "yes")), lkrpc.WithErrorText(true))
	cl := s.caller(t, "alice")
	err := cl.Invoke(context.Background(), m, wrapperspb.String("x"), nil)
	if e := wantCode(t, err, lkrpc.PermissionDenied); !strings.Contains(e.Message, `lacks attribute "admin"`) {
		t.Errorf("with WithErrorText(true) the refusal should say why, got %q", e.Message)
	}
}

// A third participant that learns a request id cannot answer in the callee's
// place: neither an lk.rpc_response stream nor an RpcResponse packet nor an
// ack from it touches alice's call, which completes only with bob's reply.
func TestResponseFromThirdParticipantIsIgnored(t *testing.T) {
	s := newSecurityRoom(t)
	release := make(chan struct{})
	mustRegister(t, s.bob, []lkrpc.HandlerDesc{stringDesc(greetMethod, func(ctx context.Context, req *wrapperspb.StringValue) (proto.Message, error) {
		<-release
		return greet(ctx, req)
	})})
	mallory, err := s.room.Join("mallory")
	if err != nil {
		t.Fatal(err)
	}
	requestIDs := make(chan string, 1)
	stop := s.room.Observe(func(d memroom.Delivery) {
		if h, ok := d.Packet.Value.(*livekit.DataPacket_StreamHeader); ok && d.From == "alice" {
			requestIDs <- h.StreamHeader.GetAttributes()[engine.AttrRequestID]
		}
	})
	defer stop()
	cl := s.caller(t, "alice")

	type result struct {
		reply string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var resp wrapperspb.StringValue
		err := cl.Invoke(context.Background(), greetMethod, wrapperspb.String("alice"), &resp)
		done <- result{resp.GetValue(), err}
	}()
	id := <-requestIDs

	forged := `"hello from mallory"` // a valid StringValue in protojson
	pkts, _, err := datastream.Encode(datastream.Outgoing{
		StreamID:     "forged-stream",
		Topic:        engine.TopicResponse,
		Timestamp:    time.Now().UnixMilli(),
		Attributes:   map[string]string{engine.AttrRequestID: id},
		Destinations: []string{"alice"},
		Text:         forged,
	}, datastream.SendOptions{Inline: true})
	if err != nil {
		t.Fatal(err)
	}
	for pkt := range pkts {
		mustSend(t, mallory, pkt)
	}
	mustSend(t, mallory, &livekit.DataPacket{DestinationIdentities: []string{"alice"},
		Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{RequestId: id,
			Value: &livekit.RpcResponse_Payload{Payload: forged}}}})
	mustSend(t, mallory, &livekit.DataPacket{DestinationIdentities: []string{"alice"},
		Value: &livekit.DataPacket_RpcResponse{RpcResponse: &livekit.RpcResponse{RequestId: id,
			Value: &livekit.RpcResponse_Error{Error: &livekit.RpcError{Code: 1500, Message: "forged"}}}}})
	// The room delivers to alice in routing order, so everything mallory
	// sent is ahead of bob's reply in alice's queue.
	close(release)

	select {
	case r := <-done:
		if r.err != nil || r.reply != "hello, alice" {
			t.Fatalf("call ended with %q, %v; want bob's reply", r.reply, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("call did not complete")
	}
}

func mustSend(t *testing.T, p *memroom.Link, pkt *livekit.DataPacket) {
	t.Helper()
	if err := p.Send(context.Background(), pkt); err != nil {
		t.Fatal(err)
	}
}

// What a handler's plain Go error reveals is policy: by default its text
// never reaches the wire; WithErrorText(true) sends it. A panic's text never
// does.
func TestErrorTextIsNotOnTheWireByDefault(t *testing.T) {
	const secret = "dial tcp 10.1.2.3:5432: password authentication failed for user hunter2"
	for _, send := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "WithErrorText"}[send], func(t *testing.T) {
			s := newSecurityRoom(t)
			mustRegister(t, s.bob, []lkrpc.HandlerDesc{
				stringDesc(greetMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
					return nil, errors.New(secret)
				}),
				stringDesc(otherMethod, func(context.Context, *wrapperspb.StringValue) (proto.Message, error) {
					panic(secret)
				}),
			}, lkrpc.WithErrorText(send))
			var mu sync.Mutex
			var wire strings.Builder
			stop := s.room.Observe(func(d memroom.Delivery) {
				mu.Lock()
				wire.WriteString(prototext.Format(d.Packet))
				mu.Unlock()
			})
			defer stop()
			cl := s.caller(t, "alice")
			for _, m := range []*lkrpc.Method{greetMethod, otherMethod} {
				err := cl.Invoke(context.Background(), m, wrapperspb.String("x"), nil)
				e := wantCode(t, err, lkrpc.ApplicationError)
				want := send && m == greetMethod // otherMethod panics
				if got := strings.Contains(e.Message, "hunter2"); got != want {
					t.Errorf("%s: message %q; error text sent = %v, want %v", m.Name, e.Message, got, want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if got := strings.Contains(wire.String(), "hunter2"); got != send {
				t.Errorf("error text on the wire = %v, want %v; packets:\n%s", got, send, wire.String())
			}
		})
	}
}

func TestAuthorizerEdgeCases(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		a       lkrpc.Authorizer
		caller  lkrpc.Caller
		allowed bool
	}{
		{"no identities admit nobody", lkrpc.AllowIdentities(), lkrpc.Caller{Identity: "alice"}, false},
		{"identity compared exactly", lkrpc.AllowIdentities("alice"), lkrpc.Caller{Identity: "Alice"}, false},
		{"unknown kind refused", lkrpc.AllowKinds("STANDARD"), lkrpc.Caller{Identity: "alice"}, false},
		{"kind case-insensitive", lkrpc.AllowKinds("agent"), lkrpc.Caller{Kind: "AGENT"}, true},
		{"no kinds admit nobody", lkrpc.AllowKinds(), lkrpc.Caller{Kind: "AGENT"}, false},
		{"attribute value compared exactly", lkrpc.RequireAttribute("role", "admin"),
			lkrpc.Caller{Attributes: map[string]string{"role": "admin "}}, false},
		{"empty value must be present", lkrpc.RequireAttribute("flag", ""), lkrpc.Caller{}, false},
		{"empty value present", lkrpc.RequireAttribute("flag", ""), lkrpc.Caller{Attributes: map[string]string{"flag": ""}}, true},
	} {
		if err := c.a(ctx, c.caller); (err == nil) != c.allowed {
			t.Errorf("%s: err %v, allowed want %v", c.name, err, c.allowed)
		}
	}
}
