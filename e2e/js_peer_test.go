package e2e

import (
	"bufio"
	"bytes"
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
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// answerPrefix marks the peers' answer lines on stdout (js/commands.mjs);
// anything else there is the SDK's own logging.
const answerPrefix = "answer "

// jsPeer is a JavaScript peer process — livekit-client in headless Chromium
// (js/driver.mjs) or @livekit/rtc-node (js/node_peer.mjs) — driven over
// stdin/stdout with the line protocol of js/commands.mjs.
type jsPeer struct {
	t     *testing.T
	name  string
	stdin io.WriteCloser

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan driverAnswer
	exited  chan struct{}
	exitErr error
}

type driverAnswer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

// jsDir returns e2e/js, failing the test when e2e/install.sh has not
// installed what lives there.
func jsDir(t *testing.T, mustExist ...string) string {
	t.Helper()
	root, err := lkserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(root, "e2e", "js")
	for _, rel := range mustExist {
		if _, err := os.Stat(filepath.Join(js, rel)); err != nil {
			t.Fatalf("%s is not installed (run e2e/install.sh): %v", rel, err)
		}
	}
	return js
}

// startBrowser serves the test page with livekit-client's UMD bundle from
// e2e/js/node_modules/<pkg> (the 2.23.0 install, or 2.18.x under its npm
// alias) on an ephemeral 127.0.0.1 port and starts the browser driver.
func startBrowser(t *testing.T, pkg string) *jsPeer {
	t.Helper()
	bundleRel := filepath.Join("node_modules", pkg, "dist", "livekit-client.umd.js")
	js := jsDir(t, bundleRel, filepath.Join("node_modules", "playwright-core"))

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, "page", "index.html"))
	})
	mux.HandleFunc("/peer.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, "page", "peer.js"))
	})
	mux.HandleFunc("/livekit-client.umd.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, bundleRel))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Server{Handler: mux}
	go func() { _ = web.Serve(ln) }()
	t.Cleanup(func() { _ = web.Close() })

	cmd := exec.Command("node", filepath.Join(js, "driver.mjs"), "http://"+ln.Addr().String()+"/")
	cmd.Dir = js
	return startJSPeer(t, pkg, cmd, 30*time.Second)
}

// startNode starts @livekit/rtc-node's peer. NODE_ENV=production keeps its
// logger at info level; LKRPC_E2E_SDK_LOG=1 passes that log to the test.
func startNode(t *testing.T) *jsPeer {
	t.Helper()
	js := jsDir(t, filepath.Join("node_modules", "@livekit", "rtc-node", "package.json"))
	cmd := exec.Command("node", filepath.Join(js, "node_peer.mjs"))
	cmd.Dir = js
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	return startJSPeer(t, "rtc-node", cmd, 20*time.Second)
}

func startJSPeer(t *testing.T, name string, cmd *exec.Cmd, readyWithin time.Duration) *jsPeer {
	t.Helper()
	cmd.Stderr = &testLogWriter{t: t, prefix: name + ": "}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the %s peer: %v", name, err)
	}
	ready := make(chan driverAnswer, 1) // answer 0: the peer is up
	p := &jsPeer{t: t, name: name, stdin: stdin, waiting: map[int]chan driverAnswer{0: ready}, exited: make(chan struct{})}
	var sdkLog io.Writer = io.Discard
	if os.Getenv("LKRPC_E2E_SDK_LOG") == "1" {
		sdkLog = &testLogWriter{t: t, prefix: name + " stdout: "}
	}
	go p.read(stdout, cmd, sdkLog)
	t.Cleanup(func() { p.stop(cmd) })

	select {
	case a := <-ready:
		if a.Error != "" {
			t.Fatalf("%s peer: %s", name, a.Error)
		}
	case <-p.exited:
		t.Fatalf("%s peer exited before it was ready: %v", name, p.exitErr)
	case <-time.After(readyWithin):
		t.Fatalf("%s peer not ready within %v", name, readyWithin)
	}
	return p
}

func (p *jsPeer) read(stdout io.Reader, cmd *exec.Cmd, sdkLog io.Writer) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), answerPrefix)
		if !ok {
			fmt.Fprintln(sdkLog, sc.Text())
			continue
		}
		var a driverAnswer
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
	p.exitErr = cmd.Wait()
	close(p.exited)
}

// stop closes the peer's stdin (it then leaves and exits) and waits.
func (p *jsPeer) stop(cmd *exec.Cmd) {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-p.exited
	}
}

// call runs the peer's command fn(args...) and decodes its result into
// out (if not nil).
func (p *jsPeer) call(timeout time.Duration, out any, fn string, args ...any) error {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	ch := make(chan driverAnswer, 1)
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

func (p *jsPeer) must(timeout time.Duration, out any, fn string, args ...any) {
	p.t.Helper()
	if err := p.call(timeout, out, fn, args...); err != nil {
		p.t.Fatal(err)
	}
}

// testLogWriter sends a child's output to the test log, line by line.
type testLogWriter struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(w.prefix + string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
