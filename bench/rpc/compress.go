package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// deflateLevels are the levels row 4 measures through the server beside
// the default (datastream.DefaultLevel for 1 MiB), to show what choosing
// another would cost or buy.
var deflateLevels = []int{1, 3}

// defaultLevel marks the pair that sets no level: the engine's default.
const defaultLevel = -100

// compressPair is one caller/agent pair of row 4.
type compressPair struct {
	name   string
	level  int // 0: the peers advertise no deflate capability
	caller *engine.Engine
	agent  string
	times  samples
	wire   int // request + response bytes on the wire, last call
	last   transport.Reply
}

// compression is row 4: 1 MiB of typical JSON (jsonpayload.go) echoed
// between two participants that advertise CAP_COMPRESSION_DEFLATE_RAW, at
// the default level and the others of deflateLevels, against the same call
// between two that advertise no capability (plain streams), alternating.
func compression(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("compress")
	defer s.close()
	levels := append([]int{0, defaultLevel}, deflateLevels...)
	links := map[string]*rtc.Link{}
	var pairs []*compressPair
	for _, level := range levels {
		name := "plain"
		var linkOpts []rtc.Option
		var engOpts []engine.Option
		if level == 0 {
			linkOpts = []rtc.Option{rtc.WithCapabilities()} // protocol 2, no deflate
		} else if level == defaultLevel {
			name = "deflate-default"
		} else {
			name = fmt.Sprintf("deflate-%d", level)
			engOpts = []engine.Option{engine.WithCompressLevel(level)}
		}
		cl, caller, err := s.link(ctx, name+"-caller", linkOpts, engOpts...)
		if err != nil {
			return nil, err
		}
		al, agent, err := s.link(ctx, name+"-agent", linkOpts, engOpts...)
		if err != nil {
			return nil, err
		}
		if _, err := agent.Register(echoMethod, func(_ context.Context, req *transport.Request) (string, error) {
			return req.Payload, nil
		}); err != nil {
			return nil, err
		}
		links[name+"-caller"], links[name+"-agent"] = cl, al
		pairs = append(pairs, &compressPair{name: name, level: level, caller: caller, agent: name + "-agent"})
	}
	if err := meet(ctx, links); err != nil {
		return nil, err
	}
	payload := typicalJSON(mib, 7)
	warm, n := 2, b.count(12, 4)
	for i := range warm + n {
		for _, p := range pairs {
			t0 := time.Now()
			rep, err := p.caller.Call(ctx, transport.Call{Destination: p.agent, Method: echoMethod, Payload: payload, Timeout: 30 * time.Second})
			d := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.name, err)
			}
			if rep.Payload != payload {
				return nil, fmt.Errorf("%s: echo came back as %d bytes", p.name, len(rep.Payload))
			}
			if p.level != 0 && !(rep.Request.Compressed && rep.Response.Compressed) {
				return nil, fmt.Errorf("%s: not compressed both ways (%v / %v)", p.name, rep.Request, rep.Response)
			}
			if i >= warm {
				p.times = append(p.times, d)
			}
			p.wire, p.last = rep.Request.WireBytes+rep.Response.WireBytes, rep
		}
	}

	plain, def := pairs[0], pairs[1]
	def.level = datastream.DefaultLevel // what the engine chose for 1 MiB
	var perLevel strings.Builder
	for _, p := range pairs[1:] {
		fmt.Fprintf(&perLevel, "level %d: %d wire bytes (%.2f× fewer), %s (%.2f× plain's time); ",
			p.level, p.wire, float64(plain.wire)/float64(p.wire), p.times, ratio(p.times.median(), plain.times.median()))
	}
	figures, err := measureLevels(payload, 3)
	if err != nil {
		return nil, err
	}
	var cpu strings.Builder
	for _, f := range figures {
		fmt.Fprintf(&cpu, "%s: %.2f×, deflate %s, inflate %s; ", levelName(f.level), f.ratio, ms(f.compress), ms(f.inflate))
	}
	b.note("Row 4: 1 MiB of `typicalJSON` (bench/rpc/jsonpayload.go: a page of transcript/chat events — sequential ids, a random "+
		"64-bit event id, RFC 3339 timestamps, one of 6 types and 12 speakers, 6–24 words from a 400-word Zipf-skewed vocabulary, "+
		"a confidence, a duration, a flag, 0–3 tags) echoed between two participant links; plain = both advertise protocol 2 "+
		"without CAP_COMPRESSION_DEFLATE_RAW. Through the server, per level: %s"+
		"plain: %d wire bytes, %s. In process, one core, this payload per compress/flate level (ratio, time): %s",
		perLevel.String(), plain.wire, plain.times, cpu.String())
	fewer := float64(plain.wire) / float64(def.wire)
	slower := ratio(def.times.median(), plain.times.median())
	return []Row{
		{ID: "4a", Figure: fmt.Sprintf("1 MiB typical JSON echoed, deflate level %d (default): %d bytes on the wire both ways", def.level, def.wire),
			Baseline: fmt.Sprintf("peers without the deflate capability: %d bytes", plain.wire),
			Ratio:    fewer, Target: "≥ 4× fewer bytes", Status: verdict(fewer >= 4)},
		{ID: "4b", Figure: "same call, compressed: " + def.times.String(),
			Baseline: "uncompressed: " + plain.times.String(),
			Ratio:    slower, Target: "≤ 1.00× (no slower)", Status: verdict(slower <= 1)},
	}, nil
}
