package e2e

import (
	"bytes"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// jsPeer is a JavaScript peer (lkserver.JSPeer) bound to the test that
// started it: it stops when the test ends, and must fails the test.
type jsPeer struct {
	*lkserver.JSPeer
	t *testing.T
}

// startBrowser starts livekit-client from e2e/js/node_modules/<pkg> in
// headless Chromium.
func startBrowser(t *testing.T, pkg string) *jsPeer {
	t.Helper()
	return started(t, pkg)(lkserver.StartBrowser(pkg, &testLogWriter{t: t, prefix: pkg + ": "}, sdkLog(t, pkg)))
}

// startNode starts @livekit/rtc-node's peer; LKRPC_E2E_SDK_LOG=1 passes
// its log to the test.
func startNode(t *testing.T) *jsPeer {
	t.Helper()
	const name = "rtc-node"
	return started(t, name)(lkserver.StartNode(&testLogWriter{t: t, prefix: name + ": "}, sdkLog(t, name)))
}

func started(t *testing.T, name string) func(*lkserver.JSPeer, error) *jsPeer {
	return func(p *lkserver.JSPeer, err error) *jsPeer {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(p.Stop)
		return &jsPeer{JSPeer: p, t: t}
	}
}

// sdkLog is where a peer's own stdout logging goes: the test log with
// LKRPC_E2E_SDK_LOG=1, nowhere otherwise.
func sdkLog(t *testing.T, name string) io.Writer {
	if os.Getenv("LKRPC_E2E_SDK_LOG") == "1" {
		return &testLogWriter{t: t, prefix: name + " stdout: "}
	}
	return io.Discard
}

func (p *jsPeer) call(timeout time.Duration, out any, fn string, args ...any) error {
	return p.Call(timeout, out, fn, args...)
}

func (p *jsPeer) must(timeout time.Duration, out any, fn string, args ...any) {
	p.t.Helper()
	if err := p.Call(timeout, out, fn, args...); err != nil {
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
