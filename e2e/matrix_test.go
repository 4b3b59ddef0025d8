package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// echoMethod is what the matrix's size cases call on both sides: an echo,
// so each payload crosses the wire once in each direction. The payloads
// are opaque text of exact sizes (the example service's Summarize caps
// requests at 16 MiB and AnnotateTranscript at 8 MiB); the generated service is
// exercised by each peer's "generated service" cases.
const echoMethod = "lkrpc.e2e.v1.Matrix/Echo"

// matrixSize is one payload size of the matrix.
type matrixSize struct {
	name    string
	payload string
	reps    int
}

func matrixSizes() []matrixSize {
	return []matrixSize{
		{"16B", randtext.New(16, 11), 5},
		{"15KiB", randtext.New(15<<10, 12), 5},
		{"100KiB", randtext.New(100<<10, 13), 5},
		{"10MiB", randtext.New(10<<20, 15), 1},
	}
}

const (
	goToPeer = "Go → peer"
	peerToGo = "peer → Go"
)

// TestInteropMatrix runs every peer kind against the Go engine on the
// participant link, in a room of its own: both directions, four sizes,
// application errors with data, unknown methods and timeouts, each case
// checking the outcome and, on the wire (wireLink), the form the request
// and the response took. It ends with the table of median timings.
func TestInteropMatrix(t *testing.T) {
	srv := lkserver.Require(t)
	table := newTimingTable()
	for _, pk := range matrixPeerKinds() {
		t.Run(pk.identity, func(t *testing.T) { runMatrix(t, srv, pk, table) })
	}
	report := "Interop matrix timings: median round trips (peer → Go measured by the peer's SDK, Go → peer by the engine's caller).\n"
	if raceDetector {
		report += "Measured under -race: Go's share (deflate above all) is many times slower than in a normal build.\n"
	}
	report += "\n" + table.String()
	t.Log(report)
	writeTimingReport(t, report)
}

// writeTimingReport puts the table where `make e2e` prints it after the
// run: go test shows a passing package's log only with -v.
func writeTimingReport(t *testing.T, report string) {
	root, err := lkserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, ".cache", "e2e", "matrix-timings.md")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("timings written to %s", path)
}

// matrixRoom is one peer kind's room: the Go engine on a recorded link,
// and the peer.
type matrixRoom struct {
	pk    peerKind
	wire  *wireLink
	eng   *engine.Engine
	peer  matrixPeer
	table *timingTable
	// goCalled: the engine has called the peer; its first request goes
	// as a stream whatever its size (PROTOCOL.md §6).
	goCalled bool
}

func runMatrix(t *testing.T, srv *lkserver.Server, pk peerKind, table *timingTable) {
	runMatrixAcross(t, srv, srv, pk, table)
}

// runMatrixAcross is runMatrix with the Go side joining through goSrv and
// the peer through peerSrv (two nodes of a cluster: TestCluster).
func runMatrixAcross(t *testing.T, goSrv, peerSrv *lkserver.Server, pk peerKind, table *timingTable) {
	room := lkserver.RoomName(t)
	l := goSrv.ConnectLink(t, room, goIdentity)
	w := newWireLink(l)
	eng := newEngine(t, w)
	t.Cleanup(func() { _ = eng.Close() })
	if _, err := eng.Register(echoMethod, goEcho); err != nil {
		t.Fatal(err)
	}
	if _, err := agentv1.RegisterVoiceAgentHandler(eng, matrixAgent{}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	peer := pk.join(t, peerSrv, room, pk.identity)
	seen := lkserver.WaitParticipant(t, l, pk.identity)
	t.Logf("%s joined and both sides see each other after %v", pk.name, time.Since(start).Round(time.Millisecond))
	wantProtocol, wantDeflate := int32(0), false
	if pk.v2 {
		wantProtocol, wantDeflate = 2, true
	}
	if seen.ClientProtocol != wantProtocol || seen.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) != wantDeflate {
		t.Fatalf("%s advertises protocol %d caps %v, want %d (deflate %v)", pk.name, seen.ClientProtocol, seen.Capabilities, wantProtocol, wantDeflate)
	}
	peer.serve(t, echoMethod)
	m := &matrixRoom{pk: pk, wire: w, eng: eng, peer: peer, table: table}

	t.Run("peer calls Go", m.peerCallsGo)
	t.Run("Go calls peer", m.goCallsPeer)
	t.Run("generated service", m.generatedService)
}

// goEcho is the Go side's echo: "fail" → application error with data,
// "slow" → answers after 2 s, "big:N" → N bytes.
func goEcho(_ context.Context, req *transport.Request) (string, error) {
	switch p := req.Payload; {
	case p == "fail":
		return "", &rpcerr.Error{Code: 2001, Message: "no greeting today", Data: `{"why":"asked to"}`}
	case p == "slow":
		// Slower than the caller waits. Not cut short by ctx: some callers
		// send their own short timeout on the wire, and the late answer
		// must still come after they gave up.
		time.Sleep(2 * time.Second)
	case strings.HasPrefix(p, "big:"):
		n, err := strconv.Atoi(p[len("big:"):])
		if err != nil {
			return "", err
		}
		return randtext.New(n, 99), nil
	}
	return req.Payload, nil
}

func (m *matrixRoom) peerCallsGo(t *testing.T) {
	for _, sz := range matrixSizes() {
		t.Run(sz.name, func(t *testing.T) {
			if !m.pk.v2 && len(sz.payload) > engine.MaxPacketPayload {
				// The peer's own SDK refuses before sending (PROTOCOL.md §2).
				mark := m.wire.mark()
				o := m.peer.callGo(t, echoMethod, sz.payload, 10*time.Second, true)
				if o.OK || o.Code != rpcerr.RequestPayloadTooLarge {
					t.Fatalf("%s sending %s to Go: %+v, want 1402", m.pk.name, sz.name, o)
				}
				if exs := m.wire.exchanges(mark, false); len(exs) != 0 {
					t.Fatalf("refused call reached the wire: %v", exs)
				}
				return
			}
			for range sz.reps {
				mark := m.wire.mark()
				o := m.peer.callGo(t, echoMethod, sz.payload, 60*time.Second, true)
				if !o.OK || !o.Echoed || o.Length != len(sz.payload) {
					t.Fatalf("%s → Go %s: %+v", m.pk.name, sz.name, o)
				}
				m.table.add(m.pk.name, peerToGo, sz.name, o.duration())
				ex := m.peerExchange(t, mark, o)
				checkForm(t, "the peer's request", ex.request, wantWire(m.peerSender(), sz.name, false))
				checkForm(t, "Go's response", ex.response, wantWire(m.goSender(), sz.name, false))
				if !ex.acked {
					t.Fatalf("Go sent no ack: %v", ex)
				}
			}
		})
	}
	t.Run("application error with data", func(t *testing.T) {
		mark := m.wire.mark()
		o := m.peer.callGo(t, echoMethod, "fail", 10*time.Second, false)
		if o.OK || o.Code != 2001 || o.Message != "no greeting today" || o.Data != `{"why":"asked to"}` {
			t.Fatalf("peer got %+v, want 2001 with message and data", o)
		}
		checkErrorOnWire(t, m.peerExchange(t, mark, o), 2001)
	})
	t.Run("unknown method", func(t *testing.T) {
		mark := m.wire.mark()
		o := m.peer.callGo(t, "no.such/Method", "x", 10*time.Second, false)
		if o.OK || o.Code != rpcerr.UnsupportedMethod {
			t.Fatalf("peer got %+v, want 1400", o)
		}
		checkErrorOnWire(t, m.peerExchange(t, mark, o), rpcerr.UnsupportedMethod)
	})
	t.Run("timeout", func(t *testing.T) {
		mark := m.wire.mark()
		o := m.peer.callGo(t, echoMethod, "slow", time.Second, false)
		if o.OK || o.Code != rpcerr.ResponseTimeout {
			t.Fatalf("peer got %+v, want 1502", o)
		}
		ex := m.peerExchange(t, mark, o)
		if !ex.acked || ex.response.kind != formNone {
			t.Fatalf("on the wire: %v, want an ack and no response before the caller gave up", ex)
		}
	})
	t.Run("large response", func(t *testing.T) {
		// A reply over 15360 bytes: a stream to a v2 caller, 1504 to a
		// v1-only one (PROTOCOL.md §2 handler step 4).
		mark := m.wire.mark()
		o := m.peer.callGo(t, echoMethod, "big:102400", 10*time.Second, false)
		ex := m.peerExchange(t, mark, o)
		if !m.pk.v2 {
			if o.OK || o.Code != rpcerr.ResponsePayloadTooLarge {
				t.Fatalf("peer got %+v, want 1504", o)
			}
			checkErrorOnWire(t, ex, rpcerr.ResponsePayloadTooLarge)
			return
		}
		if !o.OK || o.Length != 102400 {
			t.Fatalf("peer got %+v, want 102400 bytes", o)
		}
		checkForm(t, "Go's response", ex.response, wantWire(sendsGo, "100KiB", false))
	})
}

func (m *matrixRoom) goCallsPeer(t *testing.T) {
	ctx := context.Background()
	call := func(method, payload string, timeout time.Duration) (transport.Reply, error) {
		defer func() { m.goCalled = true }()
		return m.eng.Call(ctx, transport.Call{Destination: m.pk.identity, Method: method, Payload: payload, Timeout: timeout})
	}
	for _, sz := range matrixSizes() {
		t.Run(sz.name, func(t *testing.T) {
			if !m.pk.v2 && len(sz.payload) > engine.MaxPacketPayload {
				mark := m.wire.mark()
				_, err := call(echoMethod, sz.payload, 10*time.Second)
				if rpcerr.Code(err) != rpcerr.RequestPayloadTooLarge {
					t.Fatalf("%s to a v1-only peer = %v, want 1402", sz.name, err)
				}
				if exs := m.wire.exchanges(mark, true); len(exs) != 0 {
					t.Fatalf("refused call reached the wire: %v", exs)
				}
				return
			}
			for range sz.reps {
				mark, first := m.wire.mark(), !m.goCalled
				start := time.Now()
				reply, err := call(echoMethod, sz.payload, 60*time.Second)
				took := time.Since(start)
				if err != nil {
					t.Fatal(err)
				}
				if reply.Payload != sz.payload {
					t.Fatalf("echo of %d bytes came back as %d bytes", len(sz.payload), len(reply.Payload))
				}
				m.table.add(m.pk.name, goToPeer, sz.name, took)
				ex := m.oneExchange(t, mark, true)
				checkForm(t, "Go's request", ex.request, wantWire(m.goSender(), sz.name, first))
				checkForm(t, "the peer's response", ex.response, m.wantPeerReply(sz.name, ex.request))
				checkReport(t, "request", reply.Request, ex.request)
				checkReport(t, "response", reply.Response, ex.response)
				if !ex.acked {
					t.Fatalf("the peer sent no ack: %v", ex)
				}
			}
		})
	}
	t.Run("application error with data", func(t *testing.T) {
		mark := m.wire.mark()
		_, err := call(echoMethod, "fail", 10*time.Second)
		e, ok := rpcerr.From(err)
		if !ok || *e != m.pk.appErr {
			t.Fatalf("Call = %v, want %v", err, &m.pk.appErr)
		}
		checkErrorOnWire(t, m.oneExchange(t, mark, true), m.pk.appErr.Code)
	})
	t.Run("unknown method", func(t *testing.T) {
		mark := m.wire.mark()
		_, err := call("no.such/Method", "x", 10*time.Second)
		if rpcerr.Code(err) != rpcerr.UnsupportedMethod {
			t.Fatalf("Call = %v, want 1400", err)
		}
		checkErrorOnWire(t, m.oneExchange(t, mark, true), rpcerr.UnsupportedMethod)
	})
	t.Run("timeout", func(t *testing.T) {
		mark := m.wire.mark()
		_, err := call(echoMethod, "slow", time.Second)
		if rpcerr.Code(err) != rpcerr.ResponseTimeout {
			t.Fatalf("Call = %v, want 1502", err)
		}
		ex := m.oneExchange(t, mark, true)
		if !ex.acked || ex.response.kind != formNone {
			t.Fatalf("on the wire: %v, want an ack and no response before the call gave up", ex)
		}
	})
}
