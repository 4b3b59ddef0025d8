package agentv1_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
	"github.com/lkrpc/lkrpc/runtime/transport/transporttest"
)

// agent implements part of VoiceAgent; the rest answers Unimplemented.
type agent struct {
	agentv1.UnimplementedVoiceAgentHandler
}

func (agent) GetStatus(context.Context, *agentv1.GetStatusRequest) (*agentv1.GetStatusResponse, error) {
	return &agentv1.GetStatusResponse{State: agentv1.AgentState_AGENT_STATE_LISTENING, VoiceId: "alloy"}, nil
}

func (agent) Summarize(_ context.Context, req *agentv1.SummarizeRequest) (*agentv1.SummarizeResponse, error) {
	text := req.GetDocument().GetText()
	return &agentv1.SummarizeResponse{Summary: strings.ToUpper(text[:5]), KeyPoints: []string{text}}, nil
}

func (agent) SetVoice(_ context.Context, req *agentv1.SetVoiceRequest) (*agentv1.SetVoiceResponse, error) {
	return nil, lkrpc.NewError(int(agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE), "voice unavailable",
		&agentv1.VoiceUnavailable{VoiceId: req.GetVoiceId(), Reason: "retired", AvailableVoiceIds: []string{"alloy"}})
}

func (agent) Ping(context.Context, *agentv1.PingRequest) (*agentv1.PingResponse, error) {
	return &agentv1.PingResponse{}, nil
}

func serve(t *testing.T) (*transporttest.Loopback, agentv1.VoiceAgentClient) {
	t.Helper()
	lb := transporttest.NewLoopback("frontend")
	unregister, err := agentv1.RegisterVoiceAgentHandler(lb, agent{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
	return lb, agentv1.NewVoiceAgentClient(lb, "agent")
}

func TestRegisterServesEveryWireName(t *testing.T) {
	lb, _ := serve(t)
	got := lb.Registered()
	want := []string{
		agentv1.VoiceAgentGetStatusMethod, agentv1.VoiceAgentSummarizeMethod,
		agentv1.VoiceAgentAnnotateTranscriptMethod, agentv1.VoiceAgentSetVoiceMethod, "ping",
	}
	if len(got) != len(want) {
		t.Fatalf("registered %v, want %v", got, want)
	}
	for _, name := range want {
		if !strings.Contains(strings.Join(got, "\n")+"\n", name+"\n") {
			t.Errorf("%q not registered (got %v)", name, got)
		}
	}
	if agentv1.VoiceAgentPingMethod != "ping" {
		t.Errorf("Ping's wire name = %q, want the override \"ping\"", agentv1.VoiceAgentPingMethod)
	}
}

func TestRegisterIsAllOrNothing(t *testing.T) {
	lb := transporttest.NewLoopback("frontend")
	// Someone already serves "ping": registering the service must fail and
	// leave nothing of it registered.
	if _, err := lb.Register("ping", func(context.Context, *transport.Request) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(lb, agent{}); err == nil {
		t.Fatal("registration succeeded over an existing \"ping\" handler")
	}
	if got := lb.Registered(); len(got) != 1 || got[0] != "ping" {
		t.Errorf("after the failed registration, registered = %v, want only the earlier \"ping\"", got)
	}
}

func TestRegisterRefusesNilHandler(t *testing.T) {
	if _, err := agentv1.RegisterVoiceAgentHandler(transporttest.NewLoopback("frontend"), nil); err == nil ||
		!strings.Contains(err.Error(), "nil VoiceAgentHandler") {
		t.Errorf("err = %v, want one naming the nil handler", err)
	}
}

func TestTypedCalls(t *testing.T) {
	lb, client := serve(t)
	ctx := context.Background()

	status, err := client.GetStatus(ctx, &agentv1.GetStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if status.GetState() != agentv1.AgentState_AGENT_STATE_LISTENING || status.GetVoiceId() != "alloy" {
		t.Errorf("GetStatus = %v", status)
	}

	// A 1 MiB document goes out and comes back whole.
	big := strings.Repeat("hello world ", (1<<20)/12+1)
	summary, err := client.Summarize(ctx, &agentv1.SummarizeRequest{Document: &agentv1.Document{Text: big}})
	if err != nil {
		t.Fatal(err)
	}
	if summary.GetSummary() != "HELLO" || len(summary.GetKeyPoints()) != 1 || summary.GetKeyPoints()[0] != big {
		t.Errorf("Summarize returned %d key points, summary %q", len(summary.GetKeyPoints()), summary.GetSummary())
	}
	// Summarize is JSON (the default codec): readable by a browser.
	if p := lb.LastCall().Payload; !strings.HasPrefix(p, "{") {
		t.Errorf("Summarize request payload starts %q, want JSON", p[:min(len(p), 20)])
	}

	if _, err := client.Ping(ctx, &agentv1.PingRequest{}); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestBinaryCodecOption(t *testing.T) {
	lb, client := serve(t)
	req := &agentv1.AnnotateTranscriptRequest{Transcript: &agentv1.Transcript{
		Utterances: []*agentv1.Utterance{{Text: "hi"}},
	}}
	_, err := client.AnnotateTranscript(context.Background(), req)
	// AnnotateTranscript is not implemented by agent: code 1400.
	if code := lkrpc.Code(err); code != rpcerr.UnsupportedMethod {
		t.Errorf("AnnotateTranscript error = %v (code %d), want code %d", err, code, rpcerr.UnsupportedMethod)
	}
	// Its options select the binary codec: base64, never JSON.
	if p := lb.LastCall().Payload; p == "" || strings.HasPrefix(p, "{") {
		t.Errorf("AnnotateTranscript payload = %q, want base64 binary protobuf", p)
	}
}

func TestTypedErrorDetails(t *testing.T) {
	_, client := serve(t)
	_, err := client.SetVoice(context.Background(), &agentv1.SetVoiceRequest{VoiceId: "echo"})
	if code := lkrpc.Code(err); code != int(agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE) {
		t.Fatalf("SetVoice error = %v (code %d), want code 4040", err, code)
	}
	details, derr := lkrpc.ErrorDetails(err)
	if derr != nil || len(details) != 1 {
		t.Fatalf("ErrorDetails = %v, %v; want one detail", details, derr)
	}
	want := &agentv1.VoiceUnavailable{VoiceId: "echo", Reason: "retired", AvailableVoiceIds: []string{"alloy"}}
	if !proto.Equal(details[0], want) {
		t.Errorf("detail = %v, want %v", details[0], want)
	}
}
