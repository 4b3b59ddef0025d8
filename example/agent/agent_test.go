package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// pair puts the agent and a frontend with the given client protocol in a
// fresh in-memory room and returns the frontend's typed client.
func pair(t *testing.T, frontendProtocol int32) agentv1.VoiceAgentClient {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	join := func(identity string, protocol int32) *engine.Engine {
		p, err := room.Join(identity, memroom.WithClientProtocol(protocol))
		if err != nil {
			t.Fatalf("join %s: %v", identity, err)
		}
		e, err := engine.New(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	agentEngine := join("agent", link.DefaultClientProtocol)
	frontend := join("frontend", frontendProtocol)
	unregister, err := agentv1.RegisterVoiceAgentHandler(agentEngine, agent.New("alloy", "echo"))
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	t.Cleanup(unregister)
	return agentv1.NewVoiceAgentClient(frontend, "agent")
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSmallCallSucceeds(t *testing.T) {
	client := pair(t, link.DefaultClientProtocol)
	// The first request to a peer is a stream (it tells the peer that the
	// caller speaks RPC v2); later small ones, and small replies, are v1
	// packets (PROTOCOL.md §6).
	for i, want := range []transport.Form{transport.FormInline, transport.FormPacket} {
		var r lkrpc.CallReport
		resp, err := client.GetStatus(ctx(t), &agentv1.GetStatusRequest{}, lkrpc.WithReport(&r))
		if err != nil {
			t.Fatalf("GetStatus: %v", err)
		}
		if resp.GetVoiceId() != "alloy" || resp.GetState() != agentv1.AgentState_AGENT_STATE_LISTENING {
			t.Fatalf("GetStatus = %v", resp)
		}
		if r.Request.Form != want || r.Response.Form != transport.FormPacket {
			t.Errorf("small call %d to a protocol-2 peer went %v / %v, want %v / v1 packet", i+1, r.Request, r.Response, want)
		}
	}
}

func TestPingUsesPlainWireName(t *testing.T) {
	if agentv1.VoiceAgentPingMethod != "ping" {
		t.Fatalf("wire name of Ping = %q, want the plain-string name \"ping\"", agentv1.VoiceAgentPingMethod)
	}
	client := pair(t, link.DefaultClientProtocol)
	resp, err := client.Ping(ctx(t), &agentv1.PingRequest{})
	if err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if d := time.Since(resp.GetTime().AsTime()); d < 0 || d > 10*time.Second {
		t.Fatalf("Ping time is %v away from now", d)
	}
}

func TestTypedErrorCarriesDetails(t *testing.T) {
	client := pair(t, link.DefaultClientProtocol)
	_, err := client.SetVoice(ctx(t), &agentv1.SetVoiceRequest{VoiceId: "nova"})
	var rerr *lkrpc.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("SetVoice error = %v, want *lkrpc.Error", err)
	}
	if rerr.Code != int(agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE) {
		t.Fatalf("code = %d, want %d", rerr.Code, agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE)
	}
	details, err := lkrpc.ErrorDetails(err)
	if err != nil {
		t.Fatalf("ErrorDetails: %v", err)
	}
	want := &agentv1.VoiceUnavailable{VoiceId: "nova", Reason: "not installed", AvailableVoiceIds: []string{"alloy", "echo"}}
	if len(details) != 1 || !proto.Equal(details[0], want) {
		t.Fatalf("details = %v, want [%v]", details, want)
	}
}

func TestLargePayloadBothWays(t *testing.T) {
	client := pair(t, link.DefaultClientProtocol)
	const n = 1 << 20
	var b strings.Builder
	// The summary drops each paragraph's blank line, so the document is a
	// little over 1 MiB to make the reply one too.
	for i := 0; b.Len() < n+n/8; i++ {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("x", i%40))
		b.WriteString(".\n\n")
	}
	var r lkrpc.CallReport
	resp, err := client.Summarize(ctx(t), &agentv1.SummarizeRequest{Document: &agentv1.Document{Text: b.String()}}, lkrpc.WithReport(&r))
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	if len(resp.GetSummary()) < n {
		t.Fatalf("summary has %d bytes, want over 1 MiB", len(resp.GetSummary()))
	}
	if r.RequestBytes < n || r.ResponseBytes < n {
		t.Fatalf("encoded sizes %d / %d, want both over 1 MiB", r.RequestBytes, r.ResponseBytes)
	}
	for name, tr := range map[string]transport.Transfer{"request": r.Request, "reply": r.Response} {
		if tr.Form != transport.FormStream || !tr.Compressed {
			t.Errorf("%s went %v, want a compressed v2 stream", name, tr)
		}
	}
}

func TestLargeReplyToV1OnlyCallerFails1504(t *testing.T) {
	client := pair(t, link.ProtocolV1)
	// The frontend speaks v1 only, but what matters is the destination: the
	// agent speaks v2, so the request goes as a stream and the reply, to a
	// v1-only caller, must fit a packet.
	_, err := client.Summarize(ctx(t), &agentv1.SummarizeRequest{Document: &agentv1.Document{Text: strings.Repeat("a", 20000)}})
	if code := lkrpc.Code(err); code != lkrpc.ResponsePayloadTooLarge {
		t.Fatalf("large reply to a v1-only caller: code %d (%v), want %d", code, err, lkrpc.ResponsePayloadTooLarge)
	}
}
