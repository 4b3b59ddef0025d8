package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/peer"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// browserRoundTrips is the Go↔browser part of row 2: 100 KiB echoed by
// livekit-client 2.23.0 in headless Chromium (e2e/js, read-only here) and by
// a Go engine, both directions alternating. Go→browser is timed in Go;
// browser→Go by the page (performance.now around performRpc).
func browserRoundTrips(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("browser")
	defer s.close()
	page, err := startBrowser(s)
	if err != nil {
		return nil, err
	}
	defer page.stop()
	tok, err := s.token("browser")
	if err != nil {
		return nil, err
	}
	if err := page.call(30*time.Second, nil, "connect", b.url, tok); err != nil {
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
		var linkOpts []peer.Option
		var engOpts []engine.Option
		if gp.id == "go-plain" {
			linkOpts, engOpts = []peer.Option{peer.WithCapabilities()}, []engine.Option{engine.WithCompressMin(neverCompress)}
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
		if err := page.call(announceWithin, nil, "waitFor", gp.id, announceWithin.Milliseconds()); err != nil {
			return nil, err
		}
	}
	if err := page.call(10*time.Second, nil, "serve", echoMethod); err != nil {
		return nil, err
	}

	payload := randomText(100<<10, 2)
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
			if err := page.call(20*time.Second, &res, "call", gp.id, echoMethod, payload, 15000, true); err != nil {
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

// jsPage drives e2e/js/driver.mjs: one JSON command per stdin line, answers
// on stdout prefixed "answer " (e2e/js/commands.mjs).
type jsPage struct {
	cmd   *exec.Cmd
	web   *http.Server
	stdin io.WriteCloser

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan pageAnswer
	exited  chan struct{}
}

type pageAnswer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

const answerPrefix = "answer "

// startBrowser serves e2e/js/page with livekit-client 2.23.0's UMD bundle
// on an ephemeral 127.0.0.1 port and starts the driver on it.
func startBrowser(s *scene) (*jsPage, error) {
	root, err := lkserver.RepoRoot()
	if err != nil {
		return nil, err
	}
	js := filepath.Join(root, "e2e", "js")
	bundle := filepath.Join(js, "node_modules", "livekit-client", "dist", "livekit-client.umd.js")
	if _, err := os.Stat(bundle); err != nil {
		return nil, fmt.Errorf("livekit-client is not installed (run e2e/install.sh): %w", err)
	}
	mux := http.NewServeMux()
	serve := func(path, file string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) })
	}
	serve("/", filepath.Join(js, "page", "index.html"))
	serve("/peer.js", filepath.Join(js, "page", "peer.js"))
	serve("/livekit-client.umd.js", bundle)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &jsPage{web: &http.Server{Handler: mux}, waiting: map[int]chan pageAnswer{}, exited: make(chan struct{})}
	go func() { _ = p.web.Serve(ln) }()

	p.cmd = exec.Command("node", filepath.Join(js, "driver.mjs"), "http://"+ln.Addr().String()+"/")
	p.cmd.Dir = js
	p.cmd.Stderr = os.Stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		_ = p.web.Close()
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		_ = p.web.Close()
		return nil, err
	}
	ready := make(chan pageAnswer, 1)
	p.waiting[0] = ready
	if err := p.cmd.Start(); err != nil {
		_ = p.web.Close()
		return nil, fmt.Errorf("start the browser driver: %w", err)
	}
	go p.read(stdout)
	select {
	case a := <-ready:
		if a.Error != "" {
			p.stop()
			return nil, errors.New("browser driver: " + a.Error)
		}
	case <-p.exited:
		p.stop()
		return nil, errors.New("browser driver exited before it was ready")
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, errors.New("browser driver not ready within 30 s")
	}
	return p, nil
}

func (p *jsPage) read(stdout io.Reader) {
	defer close(p.exited)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), answerPrefix)
		if !ok {
			continue // the SDK's own logging
		}
		var a pageAnswer
		if json.Unmarshal([]byte(line), &a) != nil {
			continue
		}
		p.mu.Lock()
		ch := p.waiting[a.ID]
		delete(p.waiting, a.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
}

// call runs window.lkrpcPeer[fn](...args) in the page and decodes the
// result into out (when not nil).
func (p *jsPage) call(timeout time.Duration, out any, fn string, args ...any) error {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan pageAnswer, 1)
	p.waiting[id] = ch
	p.mu.Unlock()
	line, err := json.Marshal(map[string]any{"id": id, "fn": fn, "args": args})
	if err != nil {
		return err
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("browser %s: %w", fn, err)
	}
	select {
	case a := <-ch:
		if a.Error != "" {
			return fmt.Errorf("browser %s: %s", fn, a.Error)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-p.exited:
		return fmt.Errorf("browser %s: the driver exited", fn)
	case <-time.After(timeout):
		return fmt.Errorf("browser %s: no answer within %v", fn, timeout)
	}
}

// stop disconnects the page, closes the driver's stdin (it then closes
// the browser and exits) and kills it if it lingers.
func (p *jsPage) stop() {
	_ = p.call(5*time.Second, nil, "disconnect")
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	_ = p.cmd.Wait()
	_ = p.web.Close()
}
