package main

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
)

// pingTime is the time every Ping answers with, so the typed reply and the
// stock baseline's hand-written reply are the same bytes.
var pingTime = time.Date(2026, 11, 24, 5, 0, 0, 123456000, time.UTC)

// stockPingReply is what a hand-written handler answers: the protojson of
// PingResponse{time: pingTime}.
const stockPingReply = `{"time":"2026-11-24T05:00:00.123456Z"}`

// stockPingMethod is the baseline's method name, registered on a stock room.
const stockPingMethod = "bench.ping"

// echoMethod is the raw engine method the rows' handlers echo on.
const echoMethod = "bench.echo"

// agent serves the generated VoiceAgent as cheaply as the service allows,
// so the rows measure lkrpc and not the handler: Ping answers a fixed
// time, Summarize echoes the document text back as the summary.
type agent struct {
	agentv1.UnimplementedVoiceAgentHandler
}

func (agent) Ping(context.Context, *agentv1.PingRequest) (*agentv1.PingResponse, error) {
	return &agentv1.PingResponse{Time: timestamppb.New(pingTime)}, nil
}

func (agent) Summarize(_ context.Context, req *agentv1.SummarizeRequest) (*agentv1.SummarizeResponse, error) {
	return &agentv1.SummarizeResponse{Summary: req.GetDocument().GetText()}, nil
}
