package main

import (
	"context"
	"fmt"
	"time"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

const mib = 1 << 20

// largeCalls is row 2: a generated Summarize call carrying 1 MiB each way
// against the raw data-channel baseline (rawlink.go), alternating, and the
// Go↔browser round trips against browser↔browser ones (browser.go).
func largeCalls(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("large")
	defer s.close()
	callerLink, caller, err := s.link(ctx, "lk-caller", nil)
	if err != nil {
		return nil, err
	}
	agentLink, handler, err := s.link(ctx, "lk-agent", nil)
	if err != nil {
		return nil, err
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(handler, agent{}); err != nil {
		return nil, err
	}
	rawA, err := s.rawLink(ctx, "raw-a")
	if err != nil {
		return nil, err
	}
	rawB, err := s.rawLink(ctx, "raw-b")
	if err != nil {
		return nil, err
	}
	if err := meet(ctx, map[string]*rtc.Link{"lk-caller": callerLink, "lk-agent": agentLink, "raw-a": rawA, "raw-b": rawB}); err != nil {
		return nil, err
	}
	rec := &recorder{Transport: caller}
	client := agentv1.NewVoiceAgentClient(rec, "lk-agent")
	text := randtext.New(mib, 1)
	req := &agentv1.SummarizeRequest{Document: &agentv1.Document{Text: text}}
	chunks := chunksOf(text)
	endA := newRawEnd(rawA, "raw-b", len(text), false)
	endB := newRawEnd(rawB, "raw-a", len(text), true)

	var rpc, raw samples
	warm, n := 2, b.count(15, 5)
	for i := range warm + n {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		t0 := time.Now()
		resp, err := client.Summarize(callCtx, req)
		t1 := time.Now()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("Summarize 1 MiB: %w", err)
		}
		if resp.GetSummary() != text {
			return nil, fmt.Errorf("Summarize 1 MiB came back as %d bytes", len(resp.GetSummary()))
		}
		rawCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		t2 := time.Now()
		err = endA.roundTrip(rawCtx, endB, chunks)
		t3 := time.Now()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("raw baseline: %w", err)
		}
		if i >= warm {
			rpc = append(rpc, t1.Sub(t0))
			raw = append(raw, t3.Sub(t2))
		}
	}
	// Throughput is bytes ÷ time and both move the same 2 MiB of payload,
	// so the throughput ratio is the inverse of the time ratio.
	share := ratio(raw.median(), rpc.median())
	b.note("Row 2 (1 MiB): the payload is 1 MiB of random base64-alphabet text (what binary data inside JSON looks like), "+
		"sent as `SummarizeRequest.document.text` and echoed as `SummarizeResponse.summary`; last call: %s. "+
		"The baseline moves the same 1 MiB as 70 `DataPacket.stream_chunk` packets of 15000 bytes with `rtc.Link.Send` "+
		"from one link to another and back (no header, trailer, ack, compression or reassembly), timed from the first send "+
		"to the last byte back. Throughput = 2 MiB ÷ median round trip: lkrpc %.1f MiB/s, raw %.1f MiB/s.",
		rec.lastTransfers(), 2/rpc.median().Seconds(), 2/raw.median().Seconds())
	rows := []Row{
		{
			ID:     "2a",
			Figure: "1 MiB request + 1 MiB reply Go↔Go, generated `Summarize`: " + rpc.String(),
			Ratio:  0, Target: "– (see 2b)", Status: "–",
		},
		{
			ID:       "2b",
			Figure:   fmt.Sprintf("lkrpc 1 MiB each way throughput: %.1f MiB/s", 2/rpc.median().Seconds()),
			Baseline: fmt.Sprintf("raw DataPackets link→link→link: %s, %.1f MiB/s", raw, 2/raw.median().Seconds()),
			Ratio:    share, Target: "≥ 0.90× of raw", Status: verdict(share >= 0.9),
		},
	}
	if b.browser {
		browserRows, err := browserRoundTrips(ctx, b)
		rows = append(rows, browserRows...)
		if err != nil {
			return rows, fmt.Errorf("browser: %w", err)
		}
	}
	return rows, nil
}
