package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link"
)

func TestAnswerStreamsWordByWord(t *testing.T) {
	agent.TokenDelay = time.Millisecond
	client := pair(t, link.DefaultClientProtocol)
	stream, err := client.Answer(ctx(t), &agentv1.AnswerRequest{Question: "streams"})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var text strings.Builder
	n := 0
	for stream.Receive() {
		if got := stream.Msg().GetIndex(); got != uint32(n) {
			t.Fatalf("chunk %d has index %d", n, got)
		}
		text.WriteString(stream.Msg().GetText())
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream ended with %v after %d chunks", err, n)
	}
	if !strings.HasPrefix(text.String(), "You asked about streams. ") || n < 20 {
		t.Fatalf("%d chunks: %q", n, text.String())
	}
}

func TestAnswerStopsWhenTheCallerCloses(t *testing.T) {
	agent.TokenDelay = 20 * time.Millisecond
	client := pair(t, link.DefaultClientProtocol)
	stream, err := client.Answer(ctx(t), &agentv1.AnswerRequest{Question: "closing"})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	stream.Close()
	if stream.Receive() {
		t.Fatal("a chunk after Close")
	}
	if err := stream.Err(); err == nil || lkrpc.Code(err) != lkrpc.ApplicationError {
		t.Fatalf("Err after Close = %v, want the caller's own close", err)
	}
}
