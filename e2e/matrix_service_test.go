package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
)

// generatedService: the peer calls the example VoiceAgent's methods by
// their constant wire names with hand-written JSON, served by the
// generated RegisterVoiceAgentHandler; Go calls the peer's hand-written
// "ping" through the generated client.
func (m *matrixRoom) generatedService(t *testing.T) {
	t.Run("peer calls ping", func(t *testing.T) {
		o := m.peer.callGo(t, agentv1.VoiceAgentPingMethod, "{}", 10*time.Second, false)
		var resp struct{ Time string }
		if !o.OK || json.Unmarshal([]byte(o.Payload), &resp) != nil || resp.Time == "" {
			t.Fatalf("ping from %s: %+v", m.pk.name, o)
		}
	})
	t.Run("peer calls Summarize", func(t *testing.T) {
		o := m.peer.callGo(t, agentv1.VoiceAgentSummarizeMethod,
			`{"document":{"title":"standup","text":"ship the matrix then write the report"},"maxWords":3}`, 10*time.Second, false)
		var resp struct {
			Summary   string
			KeyPoints []string
		}
		if !o.OK || json.Unmarshal([]byte(o.Payload), &resp) != nil || resp.Summary != "ship the matrix" {
			t.Fatalf("Summarize from %s: %+v", m.pk.name, o)
		}
	})
	t.Run("Go calls ping", func(t *testing.T) {
		m.peer.servePing(t, agentv1.VoiceAgentPingMethod)
		client := agentv1.NewVoiceAgentClient(m.eng, m.pk.identity)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := client.Ping(ctx, &agentv1.PingRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(resp.GetTime().AsTime()); d < -time.Minute || d > time.Minute {
			t.Fatalf("%s's ping says %v, %v from now", m.pk.name, resp.GetTime().AsTime(), d)
		}
	})
}

// matrixAgent serves the example VoiceAgent for the generated-service cases.
type matrixAgent struct {
	agentv1.UnimplementedVoiceAgentHandler
}

func (matrixAgent) Ping(context.Context, *agentv1.PingRequest) (*agentv1.PingResponse, error) {
	return &agentv1.PingResponse{Time: timestamppb.Now()}, nil
}

func (matrixAgent) Summarize(_ context.Context, req *agentv1.SummarizeRequest) (*agentv1.SummarizeResponse, error) {
	words := strings.Fields(req.GetDocument().GetText())
	if n := int(req.GetMaxWords()); n > 0 && n < len(words) {
		words = words[:n]
	}
	return &agentv1.SummarizeResponse{Summary: strings.Join(words, " "), KeyPoints: []string{fmt.Sprint(len(words), " words")}}, nil
}
