package lkserver

import (
	"bufio"
	"encoding/json"
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
)

// answerPrefix marks the peers' answer lines on stdout (js/commands.mjs);
// anything else there is the SDK's own logging.
const answerPrefix = "answer "

// JSPeer is a JavaScript peer process — livekit-client in headless Chromium
// (e2e/js/driver.mjs) or @livekit/rtc-node (e2e/js/node_peer.mjs) — driven
// over stdin/stdout with the line protocol of e2e/js/commands.mjs: one JSON
// command per line in, one "answer {…}" line per command out. The
// end-to-end tests and the benchmarks share it.
type JSPeer struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	web   *http.Server // the browser's page server; nil for Node

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan jsAnswer
	exited  chan struct{}
	exitErr error
}

type jsAnswer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

// jsDir returns e2e/js, or an error naming e2e/install.sh when something
// that lives there is missing.
func jsDir(mustExist ...string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	js := filepath.Join(root, "e2e", "js")
	for _, rel := range mustExist {
		if _, err := os.Stat(filepath.Join(js, rel)); err != nil {
			return "", fmt.Errorf("%s is not installed (run e2e/install.sh): %w", rel, err)
		}
	}
	return js, nil
}

// StartBrowser serves the test page with livekit-client's UMD bundle from
// e2e/js/node_modules/<pkg> ("livekit-client" for 2.23.0, or an npm alias
// such as "livekit-client-218") on an ephemeral 127.0.0.1 port and starts
// the browser driver on it. The driver's stderr goes to stderr, the SDK's
// own stdout logging to sdkLog.
func StartBrowser(pkg string, stderr, sdkLog io.Writer) (*JSPeer, error) {
	bundleRel := filepath.Join("node_modules", pkg, "dist", "livekit-client.umd.js")
	js, err := jsDir(bundleRel, filepath.Join("node_modules", "playwright-core"))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	serve := func(path, file string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) })
	}
	serve("/", filepath.Join(js, "page", "index.html"))
	serve("/peer.js", filepath.Join(js, "page", "peer.js"))
	serve("/livekit-client.umd.js", filepath.Join(js, bundleRel))
	return startPage(pkg, js, mux, stderr, sdkLog)
}

// startPage serves mux on an ephemeral 127.0.0.1 port and opens it in
// headless Chromium with the browser driver (e2e/js/driver.mjs). A page
// that does not come up is started once more: Chromium in the private
// network namespace now and then aborts its first load with
// net::ERR_NETWORK_CHANGED (seen in about 1 of 10 starts), which says
// nothing about the code under test.
func startPage(name, js string, mux *http.ServeMux, stderr, sdkLog io.Writer) (*JSPeer, error) {
	p, err := startPageOnce(name, js, mux, stderr, sdkLog)
	if err == nil {
		return p, nil
	}
	if stderr != nil {
		fmt.Fprintf(stderr, "lkserver: %v; starting the page once more\n", err)
	}
	return startPageOnce(name, js, mux, stderr, sdkLog)
}

func startPageOnce(name, js string, mux *http.ServeMux, stderr, sdkLog io.Writer) (*JSPeer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	web := &http.Server{Handler: mux}
	go func() { _ = web.Serve(ln) }()

	cmd := exec.Command("node", filepath.Join(js, "driver.mjs"), "http://"+ln.Addr().String()+"/")
	cmd.Dir = js
	p, err := startJSPeer(name, cmd, web, 30*time.Second, stderr, sdkLog)
	if err != nil {
		_ = web.Close()
	}
	return p, err
}

// StartNode starts @livekit/rtc-node's peer. NODE_ENV=production keeps its
// logger at info level.
func StartNode(stderr, sdkLog io.Writer) (*JSPeer, error) {
	js, err := jsDir(filepath.Join("node_modules", "@livekit", "rtc-node", "package.json"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(js, "node_peer.mjs"))
	cmd.Dir = js
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	return startJSPeer("rtc-node", cmd, nil, 20*time.Second, stderr, sdkLog)
}

// startJSPeer starts cmd and waits for its ready answer (id 0).
func startJSPeer(name string, cmd *exec.Cmd, web *http.Server, readyWithin time.Duration, stderr, sdkLog io.Writer) (*JSPeer, error) {
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the %s peer: %w", name, err)
	}
	ready := make(chan jsAnswer, 1)
	p := &JSPeer{name: name, cmd: cmd, stdin: stdin, web: web,
		waiting: map[int]chan jsAnswer{0: ready}, exited: make(chan struct{})}
	go p.read(stdout, sdkLog)

	var fail error
	select {
	case a := <-ready:
		if a.Error != "" {
			fail = fmt.Errorf("%s peer: %s", name, a.Error)
		}
	case <-p.exited:
		fail = fmt.Errorf("%s peer exited before it was ready: %v", name, p.exitErr)
	case <-time.After(readyWithin):
		fail = fmt.Errorf("%s peer not ready within %v", name, readyWithin)
	}
	if fail != nil {
		p.stopProcess()
		return nil, fail
	}
	return p, nil
}

func (p *JSPeer) read(stdout io.Reader, sdkLog io.Writer) {
	if sdkLog == nil {
		sdkLog = io.Discard
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), answerPrefix)
		if !ok {
			fmt.Fprintln(sdkLog, sc.Text())
			continue
		}
		var a jsAnswer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
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
	p.exitErr = p.cmd.Wait()
	close(p.exited)
}

// Name is the peer's name in messages ("rtc-node", or the browser's npm package).
func (p *JSPeer) Name() string { return p.name }

// Call runs the peer's command fn(args...) and decodes its result into out
// (when not nil).
func (p *JSPeer) Call(timeout time.Duration, out any, fn string, args ...any) error {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan jsAnswer, 1)
	p.waiting[id] = ch
	p.mu.Unlock()

	line, err := json.Marshal(map[string]any{"id": id, "fn": fn, "args": args})
	if err != nil {
		return err
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("%s %s: %w", p.name, fn, err)
	}
	select {
	case a := <-ch:
		if a.Error != "" {
			return fmt.Errorf("%s %s: %s", p.name, fn, a.Error)
		}
		if out != nil {
			return json.Unmarshal(a.Result, out)
		}
		return nil
	case <-p.exited:
		return fmt.Errorf("%s %s: peer exited: %v", p.name, fn, p.exitErr)
	case <-time.After(timeout):
		return fmt.Errorf("%s %s: no answer within %v", p.name, fn, timeout)
	}
}

// Stop closes the peer's stdin (it then leaves its room and exits), waits
// for it (killing it after 15 s) and stops the page server.
func (p *JSPeer) Stop() {
	p.stopProcess()
	if p.web != nil {
		_ = p.web.Close()
	}
}

func (p *JSPeer) stopProcess() {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
