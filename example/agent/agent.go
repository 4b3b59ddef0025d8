// Package agent is an example implementation of the generated
// agentv1.VoiceAgentHandler: the RPC surface a voice agent exposes to its
// frontend. The demo serves it and the example tests call it through the
// generated client, over the in-memory room.
package agent

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/timestamppb"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// Agent serves VoiceAgent. Embedding UnimplementedVoiceAgentHandler keeps it
// compiling when the service grows a method it does not implement yet.
type Agent struct {
	agentv1.UnimplementedVoiceAgentHandler

	joinedAt time.Time
	voices   []string

	mu    sync.Mutex
	voice string
}

// New returns an agent that speaks with the first of voices.
func New(voices ...string) *Agent {
	if len(voices) == 0 {
		voices = []string{"alloy"}
	}
	return &Agent{joinedAt: time.Now(), voices: voices, voice: voices[0]}
}

var _ agentv1.VoiceAgentHandler = (*Agent)(nil)

// GetStatus reports the agent's state and voice.
func (a *Agent) GetStatus(ctx context.Context, _ *agentv1.GetStatusRequest) (*agentv1.GetStatusResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &agentv1.GetStatusResponse{
		State:    agentv1.AgentState_AGENT_STATE_LISTENING,
		VoiceId:  a.voice,
		JoinedAt: timestamppb.New(a.joinedAt),
	}, nil
}

// Summarize keeps the first sentence of each paragraph; a stand-in for a
// model that makes the reply as large as the document's structure asks.
func (a *Agent) Summarize(ctx context.Context, req *agentv1.SummarizeRequest) (*agentv1.SummarizeResponse, error) {
	var points []string
	for _, para := range strings.Split(req.GetDocument().GetText(), "\n\n") {
		if s := firstSentence(para); s != "" {
			points = append(points, s)
		}
	}
	summary := strings.Join(points, " ")
	if n := int(req.GetMaxWords()); n > 0 {
		if words := strings.Fields(summary); len(words) > n {
			summary = strings.Join(words[:n], " ")
		}
	}
	if len(points) > maxKeyPoints {
		points = points[:maxKeyPoints]
	}
	return &agentv1.SummarizeResponse{Summary: summary, KeyPoints: points}, nil
}

// AnnotateTranscript labels each utterance with the caller as speaker when
// it has none, and spaces start times by the utterance length.
func (a *Agent) AnnotateTranscript(ctx context.Context, req *agentv1.AnnotateTranscriptRequest) (*agentv1.AnnotateTranscriptResponse, error) {
	caller, _ := lkrpc.CallerFromContext(ctx)
	out := &agentv1.Transcript{Audio: req.GetTranscript().GetAudio()}
	var at uint64
	for _, u := range req.GetTranscript().GetUtterances() {
		speaker := u.GetSpeaker()
		if speaker == "" {
			speaker = caller.Identity
		}
		out.Utterances = append(out.Utterances, &agentv1.Utterance{Speaker: speaker, Text: u.GetText(), StartMs: at})
		at += uint64(len(u.GetText())) * 60 // about 60 ms a character spoken
	}
	return &agentv1.AnnotateTranscriptResponse{Transcript: out}, nil
}

// SetVoice switches voice, or fails with the typed VoiceUnavailable error.
func (a *Agent) SetVoice(ctx context.Context, req *agentv1.SetVoiceRequest) (*agentv1.SetVoiceResponse, error) {
	if !slices.Contains(a.voices, req.GetVoiceId()) {
		return nil, lkrpc.NewError(int(agentv1.VoiceUnavailable_CODE_VOICE_UNAVAILABLE),
			"voice "+req.GetVoiceId()+" is not available",
			&agentv1.VoiceUnavailable{VoiceId: req.GetVoiceId(), Reason: "not installed", AvailableVoiceIds: a.voices})
	}
	a.mu.Lock()
	a.voice = req.GetVoiceId()
	a.mu.Unlock()
	return &agentv1.SetVoiceResponse{VoiceId: req.GetVoiceId()}, nil
}

// Ping answers with the agent's clock.
func (a *Agent) Ping(ctx context.Context, _ *agentv1.PingRequest) (*agentv1.PingResponse, error) {
	return &agentv1.PingResponse{Time: timestamppb.Now()}, nil
}

// maxKeyPoints bounds the key points a summary lists.
const maxKeyPoints = 10

func firstSentence(s string) string {
	s = strings.TrimFunc(s, unicode.IsSpace)
	if i := strings.IndexAny(s, ".!?"); i >= 0 {
		return s[:i+1]
	}
	return s
}
