package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// browserTarget: a round trip through a Go peer must take at most this
// share of the same round trip between two browsers.
const browserTarget = 0.7

// browserRoundTrips is the Go↔browser part of row 2: payloads of 100 KiB
// and 10 MiB, near-random text and typical JSON, echoed, against the
// browser-only anchor measured in the same run, interleaved:
//
//   - Go→browser→Go: a Go engine calls page A (livekit-client 2.23.0 in
//     headless Chromium, e2e/js, read-only here), which echoes; timed in Go
//     around the engine's Call.
//   - browser→Go→browser: page B calls the Go engine, which echoes; timed
//     by the page (performance.now around performRpc).
//   - browser→browser→browser, the anchor of both: page B calls page A,
//     timed by the page.
//
// Every kind moves the same payload string both ways, each peer with its
// SDK's own compression rule, and each round trip is timed from the
// caller's call to the caller holding the decoded reply. One round of the
// three runs them in an order that rotates from round to round, so none
// always follows the same one (a browser's garbage collection after a
// 10 MiB round trip lands on whichever runs next).
func browserRoundTrips(ctx context.Context, b *bench) ([]Row, error) {
	// The 10 MiB samples alone take minutes; the row's own bound (main.go)
	// is for everything else.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Minute)
	defer cancel()
	dropsBefore := udpSockets()
	s := b.newScene("browser")
	defer s.close()
	pages := map[string]*lkserver.JSPeer{}
	for _, id := range []string{"browser", "browser-b"} {
		// The driver's stderr goes to ours; livekit-client's own logging is dropped.
		page, err := lkserver.StartBrowser("livekit-client", os.Stderr, nil)
		if err != nil {
			return nil, err
		}
		defer page.Stop()
		tok, err := s.token(id)
		if err != nil {
			return nil, err
		}
		if err := page.Call(30*time.Second, nil, "connect", b.url, tok); err != nil {
			return nil, err
		}
		pages[id] = page
	}
	pageA, pageB := pages["browser"], pages["browser-b"]
	l, eng, err := s.link(ctx, "go-peer", nil)
	if err != nil {
		return nil, err
	}
	if _, err := eng.Register(echoMethod, func(_ context.Context, req *transport.Request) (string, error) {
		return req.Payload, nil
	}); err != nil {
		return nil, err
	}
	for _, who := range []string{"browser", "browser-b"} {
		if _, err := l.WaitParticipant(ctx, who); err != nil {
			return nil, err
		}
	}
	for _, w := range []struct {
		page *lkserver.JSPeer
		who  string
	}{{pageA, "go-peer"}, {pageB, "go-peer"}, {pageB, "browser"}} {
		if err := w.page.Call(announceWithin, nil, "waitFor", w.who, announceWithin.Milliseconds()); err != nil {
			return nil, err
		}
	}
	if err := pageA.Call(10*time.Second, nil, "serve", echoMethod); err != nil {
		return nil, err
	}

	// pageCall has page call dest with payload and returns the round trip
	// the page timed.
	pageCall := func(page *lkserver.JSPeer, dest, payload string, timeout time.Duration) (time.Duration, error) {
		var res struct {
			OK     bool    `json:"ok"`
			Echoed bool    `json:"echoed"`
			MS     float64 `json:"ms"`
			Code   int     `json:"code"`
			Msg    string  `json:"message"`
		}
		if err := page.Call(timeout+10*time.Second, &res, "call", dest, echoMethod, payload, timeout.Milliseconds(), true); err != nil {
			return 0, err
		}
		if !res.OK || !res.Echoed {
			return 0, fmt.Errorf("ok=%v echoed=%v code %d %s", res.OK, res.Echoed, res.Code, res.Msg)
		}
		return time.Duration(res.MS * float64(time.Millisecond)), nil
	}

	var rows []Row
	cases := []struct {
		ids     [2]string
		size    int
		kind    string
		payload string
		warm, n int
		timeout time.Duration
	}{
		// Medians of 40 (100 KiB) and 7 (10 MiB) samples: with 25 and 5 the
		// ratios moved by ±0.1 between runs on a shared machine.
		{[2]string{"2c", "2d"}, 100 << 10, "near-random text", randtext.New(100<<10, 2), 3, b.count(40, 5), 15 * time.Second},
		{[2]string{"2e", "2f"}, 100 << 10, "typical JSON", typicalJSON(100<<10, 2), 3, b.count(40, 5), 15 * time.Second},
		{[2]string{"2g", "2h"}, 10 << 20, "near-random text", randtext.New(10<<20, 3), 1, b.count(7, 3), time.Minute},
		{[2]string{"2i", "2j"}, 10 << 20, "typical JSON", typicalJSON(10<<20, 3), 1, b.count(7, 3), time.Minute},
	}
	for _, c := range cases {
		var goToBrowser, browserToGo, anchor samples
		var last transport.Reply
		kinds := []func() (time.Duration, error){
			func() (time.Duration, error) {
				t0 := time.Now()
				rep, err := eng.Call(ctx, transport.Call{Destination: "browser", Method: echoMethod, Payload: c.payload, Timeout: c.timeout})
				d := time.Since(t0)
				if err != nil {
					return 0, fmt.Errorf("Go→browser %s of %s: %w", size(c.size), c.kind, err)
				}
				if rep.Payload != c.payload {
					return 0, fmt.Errorf("Go→browser %s of %s came back as %d bytes", size(c.size), c.kind, len(rep.Payload))
				}
				last = rep
				return d, nil
			},
			func() (time.Duration, error) {
				d, err := pageCall(pageB, "go-peer", c.payload, c.timeout)
				if err != nil {
					return 0, fmt.Errorf("browser→Go %s of %s: %w", size(c.size), c.kind, err)
				}
				return d, nil
			},
			func() (time.Duration, error) {
				d, err := pageCall(pageB, "browser", c.payload, c.timeout)
				if err != nil {
					return 0, fmt.Errorf("browser→browser %s of %s: %w", size(c.size), c.kind, err)
				}
				return d, nil
			},
		}
		for i := range c.warm + c.n {
			var got [3]time.Duration
			for j := range kinds {
				k := (i + j) % len(kinds)
				d, err := kinds[k]()
				if err != nil {
					return rows, err
				}
				got[k] = d
			}
			if i >= c.warm {
				goToBrowser = append(goToBrowser, got[0])
				browserToGo = append(browserToGo, got[1])
				anchor = append(anchor, got[2])
			}
		}
		b.note("Row 2 (browser, %s of %s): last Go→browser call: request %v (%d wire bytes), response %v (%d wire bytes).",
			size(c.size), c.kind, last.Request, last.Request.WireBytes, last.Response, last.Response.WireBytes)
		base := fmt.Sprintf("browser→browser→browser (`performRpc` to a livekit-client that echoes, timed in the page): %s", anchor)
		r1, r2 := ratio(goToBrowser.median(), anchor.median()), ratio(browserToGo.median(), anchor.median())
		target := fmt.Sprintf("≤ %.2f×", browserTarget)
		rows = append(rows,
			Row{ID: c.ids[0], Figure: fmt.Sprintf("%s of %s, round trip Go→browser→Go (engine call, livekit-client echoes): %s", size(c.size), c.kind, goToBrowser),
				Baseline: base, Ratio: r1, Target: target, Status: verdict(r1 <= browserTarget)},
			Row{ID: c.ids[1], Figure: fmt.Sprintf("%s of %s, round trip browser→Go→browser (`performRpc`, timed in the page): %s", size(c.size), c.kind, browserToGo),
				Baseline: "the same", Ratio: r2, Target: target, Status: verdict(r2 <= browserTarget)},
		)
	}
	b.note("Row 2 (browser): two livekit-client 2.23.0 pages in headless Chromium (protocol 2 + deflate, so every direction goes as a " +
		"compressed stream when it pays) and one Go engine as shipped, all through the same server; near-random text is random " +
		"base64-alphabet text (what binary data inside JSON looks like), typical JSON is jsonpayload.go's transcript events. " +
		"Each round runs the three round trips in a rotating order.")
	if drops := udpDropsSince(dropsBefore); drops != "" {
		b.note("Row 2 (browser): UDP datagrams the kernel dropped for a full receive buffer during these rows, by receiving process: %s.", drops)
	}
	return rows, nil
}

// size names a payload size in KiB or MiB.
func size(n int) string {
	if n >= mib && n%mib == 0 {
		return fmt.Sprintf("%d MiB", n/mib)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
