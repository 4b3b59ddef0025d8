package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	interopv1 "github.com/lkrpc/lkrpc/e2e/gen/interop/v1"
	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/discovery"
)

// TestDiscovery: the discovery attribute on livekit-server v1.13.5. A Go
// Conn that registers the example VoiceAgent is seen serving it by another
// Go Conn and by @lkrpc/lkrpc (browser and Node); a TypeScript peer that
// registers Interop is seen serving it by Go; unregistering withdraws each.
// The times logged run from the Register (or unregister) call to the moment
// each reader saw the change.
func TestDiscovery(t *testing.T) {
	srv := lkserver.Require(t)
	for _, p := range []struct {
		name  string
		start func(*testing.T) *jsPeer
	}{
		{"browser", startTypedBrowser},
		{"node", startTypedNode},
	} {
		t.Run(p.name, func(t *testing.T) {
			room := lkserver.RoomName(t)
			ts := p.start(t)
			ts.must(30*time.Second, nil, "connect", srv.URL, srv.Token(t, "ts", room))
			caller := connectGo(t, srv.URL, srv.Token(t, "caller", room))
			agentConn := connectGo(t, srv.URL, srv.Token(t, "agent", room))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// Go advertises; Go and TypeScript read.
			start := time.Now()
			unregister, err := agentv1.RegisterVoiceAgentHandler(agentConn, agent.New())
			if err != nil {
				t.Fatal(err)
			}
			if err := caller.WaitServes(ctx, "agent", agentv1.VoiceAgentServiceName); err != nil {
				t.Fatal(err)
			}
			goSaw := time.Since(start)
			tsSaw := tsSees(t, ts, start, "agent", agentv1.VoiceAgentServiceName, true)
			t.Logf("registered VoiceAgent: Go saw it after %v, %s after %v", goSaw, ts.Name(), tsSaw)
			if _, err := agentv1.NewVoiceAgentClient(caller, "agent").GetStatus(ctx, &agentv1.GetStatusRequest{}); err != nil {
				t.Fatalf("GetStatus on the advertised agent: %v", err)
			}

			start = time.Now()
			unregister()
			waitGone(t, caller, "agent", agentv1.VoiceAgentServiceName)
			goSaw = time.Since(start)
			tsSaw = tsSees(t, ts, start, "agent", agentv1.VoiceAgentServiceName, false)
			t.Logf("unregistered VoiceAgent: Go saw it after %v, %s after %v", goSaw, ts.Name(), tsSaw)
			if p, _ := caller.Participant("agent"); p.Attributes[discovery.Attribute] != "" {
				t.Fatalf("attribute left after unregister: %q", p.Attributes[discovery.Attribute])
			}

			// TypeScript advertises; Go reads.
			start = time.Now()
			ts.must(10*time.Second, nil, "serve", false)
			if err := caller.WaitServes(ctx, "ts", interopv1.InteropServiceName); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s registered Interop: Go saw it after %v", ts.Name(), time.Since(start))
			start = time.Now()
			ts.must(10*time.Second, nil, "unserve")
			waitGone(t, caller, "ts", interopv1.InteropServiceName)
			t.Logf("%s unregistered Interop: Go saw it after %v", ts.Name(), time.Since(start))
		})
	}
}

// A token without canUpdateOwnMetadata: the Conn warns once, for any number
// of registrations, advertises nothing, and serves its calls.
func TestDiscoveryWithoutTheGrant(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	var log syncBuffer
	token := srv.TokenWith(t, "agent", room, func(_ *auth.AccessToken, g *auth.VideoGrant) {
		g.CanUpdateOwnMetadata = new(false)
	})
	agentConn := connectGo(t, srv.URL, token, lkrpc.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	caller := connectGo(t, srv.URL, srv.Token(t, "caller", room))
	if _, err := agentv1.RegisterVoiceAgentHandler(agentConn, agent.New()); err != nil {
		t.Fatal(err)
	}
	waitLogged(t, &log, "could not advertise")
	if _, err := interopv1.RegisterInteropHandler(agentConn, &goInterop{got: map[string]goReceived{}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, err := agentv1.NewVoiceAgentClient(caller, "agent").GetStatus(ctx, &agentv1.GetStatusRequest{})
	if err != nil {
		t.Fatalf("GetStatus without advertising: %v", err)
	}
	t.Logf("served without advertising: %v", status)
	time.Sleep(200 * time.Millisecond) // the second registration's refused update
	logged := log.String()
	if n := strings.Count(logged, "could not advertise"); n != 1 || !strings.Contains(logged, "level=WARN") ||
		!strings.Contains(logged, "canUpdateOwnMetadata") {
		t.Fatalf("want one warning naming canUpdateOwnMetadata for two registrations, got %d:\n%s", n, logged)
	}
	if caller.Serves("agent", agentv1.VoiceAgentServiceName) {
		t.Fatal("a participant whose updates were refused is seen serving")
	}
	t.Logf("the warning: %s", strings.TrimSpace(logged))
}

// tsSees waits until the TypeScript peer sees identity serve service (or,
// want false, no longer), and returns when that was after start, by the
// peer's clock (Date.now(); same machine).
func tsSees(t *testing.T, ts *jsPeer, start time.Time, identity, service string, want bool) time.Duration {
	t.Helper()
	var seen struct{ At int64 }
	ts.must(15*time.Second, &seen, "awaitServes", identity, service, want, 10_000)
	return time.UnixMilli(seen.At).Sub(start).Round(time.Millisecond)
}

func connectGo(t *testing.T, url, token string, opts ...lkrpc.ConnectOption) *lkrpc.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := lkrpc.Connect(ctx, url, token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitGone waits up to 10 s until c no longer sees identity serve service.
func waitGone(t *testing.T, c *lkrpc.Conn, identity, service string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.Serves(identity, service); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still serves %s 10 s after unregistering", identity, service)
		}
	}
}

// waitLogged waits up to 10 s for text in log.
func waitLogged(t *testing.T, log *syncBuffer, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), text); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within 10 s; log:\n%s", text, log.String())
		}
	}
}

// syncBuffer is a log destination the test reads while the Conn writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
