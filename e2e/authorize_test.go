package e2e

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// callerRecorder serves the example VoiceAgent's Ping and hands each
// caller, as the runtime describes it, to the test.
type callerRecorder struct {
	agentv1.UnimplementedVoiceAgentHandler
	callers chan lkrpc.Caller
}

func (c callerRecorder) Ping(ctx context.Context, _ *agentv1.PingRequest) (*agentv1.PingResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx)
	c.callers <- caller
	return &agentv1.PingResponse{}, nil
}

// The runtime's authorizers decide on the caller's kind and attributes as
// the real server announces them: an agent whose token gives it the role
// gets through, a standard participant gets 2403 and its call never
// reaches the handler.
func TestAuthorizersOnRealRoom(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	handlerLink := srv.ConnectLink(t, room, "handler")
	handler := newEngine(t, handlerLink)
	t.Cleanup(func() { _ = handler.Close() })
	rec := callerRecorder{callers: make(chan lkrpc.Caller, 4)}
	if _, err := agentv1.RegisterVoiceAgentHandler(handler, rec,
		lkrpc.WithAuthorizer(lkrpc.AllowKinds("AGENT")),
		lkrpc.WithAuthorizer(lkrpc.RequireAttribute("role", "dispatcher")),
	); err != nil {
		t.Fatal(err)
	}

	agentToken := srv.TokenWith(t, "dispatcher-agent", room, func(at *auth.AccessToken, _ *auth.VideoGrant) {
		at.SetKind(livekit.ParticipantInfo_AGENT).SetAttributes(map[string]string{"role": "dispatcher"})
	})
	agentLink := srv.ConnectLinkWithToken(t, "dispatcher-agent", agentToken)
	agent := newEngine(t, agentLink)
	t.Cleanup(func() { _ = agent.Close() })
	plainLink := srv.ConnectLink(t, room, "plain")
	plain := newEngine(t, plainLink)
	t.Cleanup(func() { _ = plain.Close() })
	lkserver.WaitParticipant(t, handlerLink, "dispatcher-agent")
	lkserver.WaitParticipant(t, handlerLink, "plain")
	lkserver.WaitParticipant(t, agentLink, "handler")
	lkserver.WaitParticipant(t, plainLink, "handler")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := agentv1.NewVoiceAgentClient(agent, "handler").Ping(ctx, &agentv1.PingRequest{}); err != nil {
		t.Fatalf("the dispatcher agent's Ping: %v", err)
	}
	c := <-rec.callers
	if c.Identity != "dispatcher-agent" || c.Kind != "AGENT" || !maps.Equal(c.Attributes, map[string]string{"role": "dispatcher"}) {
		t.Fatalf("handler saw caller %+v, want dispatcher-agent, AGENT, role=dispatcher", c)
	}

	_, err := agentv1.NewVoiceAgentClient(plain, "handler").Ping(ctx, &agentv1.PingRequest{})
	if e, ok := rpcerr.From(err); !ok || e.Code != lkrpc.PermissionDenied {
		t.Fatalf("a standard participant's Ping = %v, want 2403", err)
	}
	select {
	case c := <-rec.callers:
		t.Fatalf("the refused call reached the handler as %+v", c)
	default:
	}
}
