package agent

import (
	"context"
	"strings"
	"time"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// TokenDelay is how long Answer pauses between tokens, standing in for a
// language model's pace.
var TokenDelay = 40 * time.Millisecond

// Answer streams an answer to the question one word at a time, as a model
// would stream tokens; the caller cancelling stops it between words.
func (a *Agent) Answer(ctx context.Context, req *agentv1.AnswerRequest, stream *lkrpc.ServerStream[agentv1.AnswerChunk]) error {
	words := strings.Fields(answerTo(req.GetQuestion()))
	if n := int(req.GetMaxTokens()); n > 0 && len(words) > n {
		words = words[:n]
	}
	for i, w := range words {
		if i > 0 {
			w = " " + w
			select {
			case <-time.After(TokenDelay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := stream.Send(&agentv1.AnswerChunk{Text: w, Index: uint32(i)}); err != nil {
			return err
		}
	}
	return nil
}

// answerTo is the canned answer of this stand-in agent.
func answerTo(question string) string {
	q := strings.TrimSpace(question)
	if q == "" {
		q = "nothing"
	}
	return "You asked about " + q + ". Here is what I know: streaming replies arrive piece by piece, " +
		"so the frontend can show each word as soon as the agent has it, and the agent stops " +
		"as soon as the frontend no longer listens."
}
