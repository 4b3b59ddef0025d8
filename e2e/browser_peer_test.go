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
	"sync"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// browserPeer is livekit-client running in headless Chromium, driven by
// e2e/js/driver.mjs over stdin/stdout.
type browserPeer struct {
	t     *testing.T
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

// startBrowser serves the test page on an ephemeral 127.0.0.1 port and
// starts the driver. It fails the test when e2e/install.sh has not been run.
func startBrowser(t *testing.T) *browserPeer {
	t.Helper()
	root, err := lkserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(root, "e2e", "js")
	bundle := filepath.Join(js, "node_modules", "livekit-client", "dist", "livekit-client.umd.js")
	if _, err := os.Stat(bundle); err != nil {
		t.Fatalf("livekit-client is not installed (run e2e/install.sh): %v", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, "page", "index.html"))
	})
	mux.HandleFunc("/peer.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(js, "page", "peer.js"))
	})
	mux.HandleFunc("/livekit-client.umd.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, bundle)
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
	cmd.Stderr = &testLogWriter{t: t, prefix: "browser: "}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the browser driver: %v", err)
	}
	ready := make(chan driverAnswer, 1) // the driver's answer 0: the page is up
	b := &browserPeer{t: t, stdin: stdin, waiting: map[int]chan driverAnswer{0: ready}, exited: make(chan struct{})}
	go b.read(stdout, cmd)
	t.Cleanup(func() { b.stop(cmd) })

	select {
	case a := <-ready:
		if a.Error != "" {
			t.Fatalf("browser driver: %s", a.Error)
		}
	case <-b.exited:
		t.Fatalf("browser driver exited before the page was ready: %v", b.exitErr)
	case <-time.After(30 * time.Second):
		t.Fatal("browser page not ready within 30 s")
	}
	return b
}

func (b *browserPeer) read(stdout io.Reader, cmd *exec.Cmd) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var a driverAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			continue // not an answer
		}
		b.mu.Lock()
		ch := b.waiting[a.ID]
		delete(b.waiting, a.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
	b.exitErr = cmd.Wait()
	close(b.exited)
}

// stop closes the driver's stdin (it then closes the browser) and waits.
func (b *browserPeer) stop(cmd *exec.Cmd) {
	_ = b.stdin.Close()
	select {
	case <-b.exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-b.exited
	}
}

// call runs window.lkrpcPeer[fn](args...) in the page and decodes the
// result into out (if not nil).
func (b *browserPeer) call(timeout time.Duration, out any, fn string, args ...any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan driverAnswer, 1)
	b.waiting[id] = ch
	b.mu.Unlock()

	line, err := json.Marshal(map[string]any{"id": id, "fn": fn, "args": args})
	if err != nil {
		return err
	}
	if _, err := b.stdin.Write(append(line, '\n')); err != nil {
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
	case <-b.exited:
		return fmt.Errorf("browser %s: driver exited: %v", fn, b.exitErr)
	case <-time.After(timeout):
		return fmt.Errorf("browser %s: no answer within %v", fn, timeout)
	}
}

func (b *browserPeer) must(timeout time.Duration, out any, fn string, args ...any) {
	b.t.Helper()
	if err := b.call(timeout, out, fn, args...); err != nil {
		b.t.Fatal(err)
	}
}

// testLogWriter sends a child's stderr to the test log, line by line.
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
