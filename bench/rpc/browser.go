package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// browserRoundTrips is the Go↔browser part of row 2: 100 KiB echoed by
// livekit-client 2.23.0 in headless Chromium (e2e/js, read-only here) and by
// a Go engine, both directions alternating. Go→browser is timed in Go;
// browser→Go by the page (performance.now around performRpc).
func browserRoundTrips(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("browser")
	defer s.close()
	// The driver's stderr goes to ours; livekit-client's own logging is dropped.
	page, err := lkserver.StartBrowser("livekit-client", os.Stderr, nil)
	if err != nil {
		return nil, err
	}
	defer page.Stop()
	tok, err := s.token("browser")
	if err != nil {
		return nil, err
	}
	if err := page.Call(30*time.Second, nil, "connect", b.url, tok); err != nil {
		return nil, err
	}
	// go-peer is lkrpc as shipped; go-plain advertises no deflate and never
	// compresses, to show what compression costs or saves on this path.
	type goPeer struct {
		id                       string
		eng                      *engine.Engine
		goToBrowser, browserToGo samples
		last                     transport.Reply
	}
	peers := []*goPeer{{id: "go-peer"}, {id: "go-plain"}}
	for _, gp := range peers {
		var linkOpts []rtc.Option
		var engOpts []engine.Option
		if gp.id == "go-plain" {
			linkOpts, engOpts = []rtc.Option{rtc.WithCapabilities()}, []engine.Option{engine.WithCompressMin(neverCompress)}
		}
		l, eng, err := s.link(ctx, gp.id, linkOpts, engOpts...)
		if err != nil {
			return nil, err
		}
		gp.eng = eng
		if _, err := eng.Register(echoMethod, func(_ context.Context, req *transport.Request) (string, error) {
			return req.Payload, nil
		}); err != nil {
			return nil, err
		}
		if _, err := l.WaitParticipant(ctx, "browser"); err != nil {
			return nil, err
		}
		if err := page.Call(announceWithin, nil, "waitFor", gp.id, announceWithin.Milliseconds()); err != nil {
			return nil, err
		}
	}
	if err := page.Call(10*time.Second, nil, "serve", echoMethod); err != nil {
		return nil, err
	}

	payload := randtext.New(100<<10, 2)
	warm, n := 2, b.count(25, 5)
	for i := range warm + n {
		for _, gp := range peers {
			t0 := time.Now()
			rep, err := gp.eng.Call(ctx, transport.Call{Destination: "browser", Method: echoMethod, Payload: payload, Timeout: 15 * time.Second})
			d := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("Go→browser 100 KiB (%s): %w", gp.id, err)
			}
			if rep.Payload != payload {
				return nil, fmt.Errorf("Go→browser 100 KiB (%s) came back as %d bytes", gp.id, len(rep.Payload))
			}
			gp.last = rep
			var res struct {
				OK     bool    `json:"ok"`
				Echoed bool    `json:"echoed"`
				MS     float64 `json:"ms"`
				Code   int     `json:"code"`
				Msg    string  `json:"message"`
			}
			if err := page.Call(20*time.Second, &res, "call", gp.id, echoMethod, payload, 15000, true); err != nil {
				return nil, err
			}
			if !res.OK || !res.Echoed {
				return nil, fmt.Errorf("browser→Go 100 KiB (%s): ok=%v echoed=%v code %d %s", gp.id, res.OK, res.Echoed, res.Code, res.Msg)
			}
			if i >= warm {
				gp.goToBrowser = append(gp.goToBrowser, d)
				gp.browserToGo = append(gp.browserToGo, time.Duration(res.MS*float64(time.Millisecond)))
			}
		}
	}
	def, plain := peers[0], peers[1]
	goToBrowser, browserToGo, lastGo := def.goToBrowser, def.browserToGo, def.last
	b.note("Row 2 (browser), same 100 KiB with compression off both ways (a Go peer advertising no deflate, never compressing): "+
		"Go→browser→Go %s (request %v, %d wire bytes); browser→Go→browser %s.",
		plain.goToBrowser, plain.last.Request, plain.last.Request.WireBytes, plain.browserToGo)
	b.note("Row 2 (browser): 100 KiB of random base64-alphabet text echoed; livekit-client 2.23.0 advertises protocol 2 + deflate, "+
		"so both directions go as compressed streams. Last Go→browser call: request %v (%d wire bytes), response %v (%d wire bytes).",
		lastGo.Request, lastGo.Request.WireBytes, lastGo.Response, lastGo.Response.WireBytes)
	return []Row{
		{ID: "2c", Figure: "100 KiB round trip Go→browser→Go (engine call, livekit-client echoes): " + goToBrowser.String(),
			Target: "median ≤ 25 ms", Status: verdict(goToBrowser.median() <= 25*time.Millisecond)},
		{ID: "2d", Figure: "100 KiB round trip browser→Go→browser (`performRpc`, timed in the page): " + browserToGo.String(),
			Target: "median ≤ 25 ms", Status: verdict(browserToGo.median() <= 25*time.Millisecond)},
	}, nil
}
