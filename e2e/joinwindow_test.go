package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// The join window through livekit-server v1.13.5 (docs/PROTOCOL.md §7): a
// participant that publishes nothing is announced to those already in the
// room 0–3 s after it joins, while it sees them at once. Every call below
// is made the moment its side has joined, without waiting to see the other
// side, with payloads too large for a v1 packet; each must succeed.
//
// Measured (LKRPC_E2E=1 go test -race -count=1 -run JoinWindow ./e2e/, two
// runs of 3 rounds each, 2 shared cores):
//   - Go ↔ Go: the newcomer's call, answered by the learned-protocol rule as
//     a plain stream, 218–327 ms (one 980 ms); the earlier participant's
//     call waited 2.81–3.08 s for the newcomer's announcement, 3.05–3.51 s
//     in all.
//   - browser → Go: 166–335 ms, no wait on the Go side.
//   - Go → browser: the wait for the browser's announcement took 2.21–2.50 s
//     (once none: the announcement had come first), the call 0.36–2.84 s.

// joinWindowMethod echoes: a 200 KiB request comes back as a 200 KiB reply.
const joinWindowMethod = "lkrpc.e2e/JoinWindowEcho"

// joinWindowBytes is over 13× what a v1 packet carries.
const joinWindowBytes = 200 << 10

// waitLog collects how long the engine waited for the room to announce a
// participant: the "waited" attribute of its debug records.
type waitLog struct {
	mu    sync.Mutex
	waits []string
}

func (w *waitLog) Enabled(context.Context, slog.Level) bool { return true }
func (w *waitLog) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *waitLog) WithGroup(string) slog.Handler            { return w }
func (w *waitLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "waited" {
			w.mu.Lock()
			w.waits = append(w.waits, fmt.Sprintf("%s: %v", r.Message, a.Value.Duration().Round(time.Millisecond)))
			w.mu.Unlock()
		}
		return true
	})
	return nil
}

// replyWaits counts the replies that waited for the room's word on their
// caller: none should, when the caller's request came as an RPC v2 stream.
func (w *waitLog) replyWaits() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, s := range w.waits {
		if strings.Contains(s, "caller announced") {
			n++
		}
	}
	return n
}

func (w *waitLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.waits) == 0 {
		return "no wait"
	}
	return strings.Join(w.waits, "; ")
}

// echoEngine connects identity to room with an engine that serves
// joinWindowMethod and logs its waits to w.
func echoEngine(t *testing.T, srv *lkserver.Server, room, identity string, w *waitLog) *engine.Engine {
	t.Helper()
	l := srv.ConnectLink(t, room, identity)
	e := newEngine(t, l, engine.WithLogger(slog.New(w)))
	t.Cleanup(func() { _ = e.Close() })
	if _, err := e.Register(joinWindowMethod, func(_ context.Context, req *transport.Request) (string, error) {
		return req.Payload, nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

type windowCall struct {
	reply transport.Reply
	err   error
	took  time.Duration
}

func goWindowCall(e *engine.Engine, dest, payload string) <-chan windowCall {
	res := make(chan windowCall, 1)
	go func() {
		start := time.Now()
		r, err := e.Call(context.Background(), transport.Call{
			Destination: dest, Method: joinWindowMethod, Payload: payload, Timeout: 15 * time.Second})
		res <- windowCall{r, err, time.Since(start)}
	}()
	return res
}

// Go ↔ Go: "early" is in the room; "late" joins and both call each other
// at once. late knows early from its JoinResponse and streams its request;
// early has not heard of late, so it must answer late's v2 request in a
// form late accepts, and its own call must wait for late's announcement.
func TestJoinWindowGoToGo(t *testing.T) {
	srv := lkserver.Require(t)
	for round := range 3 {
		t.Run(fmt.Sprint("round ", round+1), func(t *testing.T) {
			room := lkserver.RoomName(t)
			var earlyWaits, lateWaits waitLog
			early := echoEngine(t, srv, room, "early", &earlyWaits)
			late := echoEngine(t, srv, room, "late", &lateWaits)

			toEarly := randtext.New(joinWindowBytes, uint64(10+round))
			toLate := randtext.New(joinWindowBytes, uint64(20+round))
			lateCalls := goWindowCall(late, "early", toEarly)
			earlyCalls := goWindowCall(early, "late", toLate)

			for _, c := range []struct {
				name    string
				res     <-chan windowCall
				payload string
			}{
				{"late → early", lateCalls, toEarly},
				{"early → late", earlyCalls, toLate},
			} {
				r := <-c.res
				if r.err != nil {
					t.Fatalf("%s: %v", c.name, r.err)
				}
				if r.reply.Payload != c.payload {
					t.Fatalf("%s: echo of %d bytes came back as %d bytes", c.name, len(c.payload), len(r.reply.Payload))
				}
				if r.reply.Request.Form == transport.FormPacket || r.reply.Response.Form == transport.FormPacket {
					t.Errorf("%s: request %v, reply %v: a 200 KiB payload cannot be a packet", c.name, r.reply.Request, r.reply.Response)
				}
				t.Logf("%s: %v; request %v, reply %v", c.name, r.took.Round(time.Millisecond), r.reply.Request, r.reply.Response)
			}
			t.Logf("early's waits (its call, for late's announcement): %v", &earlyWaits)
			t.Logf("late's waits (none expected: it knew early at once): %v", &lateWaits)
			if n := earlyWaits.replyWaits(); n != 0 {
				t.Errorf("early's reply to late's v2 request waited for late's announcement (%d times): %v", n, &earlyWaits)
			}
		})
	}
}

// A browser (livekit-client 2.23.0) joins and calls the Go participant at
// once with 200 KiB, echoed back. It knows the Go side from its
// JoinResponse and sends an RPC v2 stream; the Go side, which has not heard
// of it yet, must answer with a stream, not 1504.
func TestJoinWindowBrowserToGo(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	var waits waitLog
	echoEngine(t, srv, room, goIdentity, &waits)
	browser := startBrowser(t, "livekit-client")
	for round := range 3 {
		identity := fmt.Sprint("browser-", round+1)
		var joined struct{ Identity, Version string }
		browser.must(20*time.Second, &joined, "connect", srv.URL, srv.Token(t, identity, room))
		var o peerOutcome
		browser.must(60*time.Second, &o, "call", goIdentity, joinWindowMethod,
			randtext.New(joinWindowBytes, uint64(30+round)), 15000, true)
		if !o.OK || !o.Echoed {
			t.Fatalf("%s (livekit-client %s) → Go at once: %v", identity, joined.Version, o)
		}
		t.Logf("%s (livekit-client %s) → Go, called at once: %v", identity, joined.Version, o)
		browser.must(5*time.Second, nil, "disconnect")
	}
	t.Logf("Go's waits: %v", &waits)
	if n := waits.replyWaits(); n != 0 {
		t.Errorf("Go's replies to the browsers' v2 requests waited for their announcement (%d times)", n)
	}
}

// The Go participant calls a browser the moment it has joined (and
// registered its method), with 200 KiB echoed back. The Go side learns of
// the browser only 0–3 s later: its call must wait for that, not fail with
// 1402.
func TestJoinWindowGoToBrowser(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	var waits waitLog
	goSide := echoEngine(t, srv, room, goIdentity, &waits)
	browser := startBrowser(t, "livekit-client")
	for round := range 3 {
		identity := fmt.Sprint("browser-", round+1)
		var joined struct{ Identity, Version string }
		browser.must(20*time.Second, &joined, "connect", srv.URL, srv.Token(t, identity, room))
		browser.must(5*time.Second, nil, "serve", joinWindowMethod)
		payload := randtext.New(joinWindowBytes, uint64(40+round))
		r := <-goWindowCall(goSide, identity, payload)
		if r.err != nil {
			t.Fatalf("Go → %s (livekit-client %s) at once: %v", identity, joined.Version, r.err)
		}
		if r.reply.Payload != payload {
			t.Fatalf("echo of %d bytes came back as %d bytes", len(payload), len(r.reply.Payload))
		}
		t.Logf("Go → %s, called at once: %v; request %v, reply %v", identity, r.took.Round(time.Millisecond), r.reply.Request, r.reply.Response)
		browser.must(5*time.Second, nil, "disconnect")
	}
	t.Logf("Go's waits: %v", &waits)
}
