package recovery

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// browser is livekit-client 2.23.0 in headless Chromium (e2e/js/page),
// joined to the room; it reconnects by itself as livekit-client does.
type browser struct {
	*lkserver.JSPeer
}

func startBrowser(t *testing.T, srv *lkserver.Server, room, identity string) *browser {
	t.Helper()
	p, err := lkserver.StartBrowser("livekit-client", logWriter{t}, io.Discard)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Cleanup(p.Stop)
	var joined map[string]any
	if err := p.Call(20*time.Second, &joined, "connect", srv.URL, srv.Token(t, identity, room)); err != nil {
		t.Fatalf("browser connect: %v", err)
	}
	return &browser{p}
}

// mustCall has the browser call to's echo, retrying while the browser's
// own reconnection runs (livekit-client backs off up to a few seconds),
// for up to 30 s.
func (b *browser) mustCall(t *testing.T, to *member, payload string) {
	t.Helper()
	before := to.served.Load()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var res struct {
			OK     bool   `json:"ok"`
			Echoed bool   `json:"echoed"`
			Code   int    `json:"code"`
			Error  string `json:"message"`
		}
		err := b.Call(15*time.Second, nil, "waitFor", to.identity, 10000)
		if err == nil {
			err = b.Call(15*time.Second, &res, "call", to.identity, echo, payload, 10000, true)
		}
		if err == nil && res.OK && res.Echoed {
			if to.served.Load() != before+1 {
				t.Fatalf("%s's registration served %d calls, want %d", to.identity, to.served.Load(), before+1)
			}
			return
		}
		if err == nil {
			err = fmt.Errorf("call answered %+v", res)
		}
		if time.Now().After(deadline) {
			t.Fatalf("browser → %s: %v", to.identity, err)
		}
		t.Logf("browser → %s: %v; trying again", to.identity, err)
		time.Sleep(time.Second)
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log("browser: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
