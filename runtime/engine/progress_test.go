package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// progressLog records the reports of one call and checks the promises of
// transport.Call.Progress: one report at a time, none after Call returns.
type progressLog struct {
	mu       sync.Mutex
	busy     bool
	returned bool
	reports  []transport.Progress
	t        *testing.T
}

func (l *progressLog) report(p transport.Progress) {
	l.mu.Lock()
	if l.busy {
		l.t.Error("two progress reports at once")
	}
	if l.returned {
		l.t.Errorf("progress reported after Call returned: %+v", p)
	}
	l.busy = true
	l.reports = append(l.reports, p)
	l.mu.Unlock()
	time.Sleep(50 * time.Microsecond) // widen the window two reports would overlap in
	l.mu.Lock()
	l.busy = false
	l.mu.Unlock()
}

func (l *progressLog) side(response bool) []transport.Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []transport.Progress
	for _, p := range l.reports {
		if p.Response == response {
			out = append(out, p)
		}
	}
	return out
}

// checkSide asserts that reports grow to wireBytes and name total; with
// lateTotal the first ones may say -1 (not known yet), and once one names
// total every later one does.
func checkSide(t *testing.T, name string, reports []transport.Progress, wireBytes, total int64, minReports int, lateTotal bool) {
	t.Helper()
	if len(reports) < minReports {
		t.Fatalf("%s: %d reports, want at least %d", name, len(reports), minReports)
	}
	var last int64
	known := !lateTotal
	for _, p := range reports {
		if p.Total == total {
			known = true
		}
		if p.Bytes <= last || (p.Total != total && (known || p.Total != -1)) {
			t.Fatalf("%s: report %+v after %d bytes, want growing bytes and total %d", name, p, last, total)
		}
		last = p.Bytes
	}
	if last != wireBytes || !known {
		t.Fatalf("%s: last report at %d bytes (total known: %v), the transfer says %d", name, last, known, wireBytes)
	}
}

func randomText(n int) string {
	b := make([]byte, n*3/4+3)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

func TestProgressOfStreamsBothWays(t *testing.T) {
	checkGoroutines(t)
	for _, compress := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "deflate"}[compress]
		t.Run(name, func(t *testing.T) {
			proto := link.ProtocolRPCv2 // no compression
			payload := randomText(300 << 10)
			if compress {
				proto = link.ProtocolStreamsV2
				// Hex compresses about 2×: still many chunks.
				payload = `{"n":"` + hex.EncodeToString([]byte(randomText(150<<10))) + `"}`
			}
			p := newPair(t, proto, proto, engine.WithChunkBytes(15000))
			register(t, p.bob, "echo", func(_ context.Context, req *transport.Request) (string, error) {
				return req.Payload + "!", nil
			})
			log := &progressLog{t: t}
			reply, err := p.alice.Call(context.Background(), transport.Call{
				Destination: "bob", Method: "echo", Payload: payload, Progress: log.report,
			})
			log.mu.Lock()
			log.returned = true
			log.mu.Unlock()
			if err != nil || reply.Payload != payload+"!" {
				t.Fatalf("call: %v (reply of %d bytes)", err, len(reply.Payload))
			}
			if reply.Request.Form != transport.FormStream || reply.Request.Compressed != compress {
				t.Fatalf("request went as %v", reply.Request)
			}
			// Compressed as it is sent, the request's compressed size is
			// known once its text is all compressed.
			up := int64(reply.Request.WireBytes)
			checkSide(t, "request", log.side(false), up, up, int(up/15000), compress)
			down, total := int64(reply.Response.WireBytes), int64(len(reply.Payload))
			if compress {
				total = -1 // the receiver cannot know the compressed size in advance
			}
			checkSide(t, "response", log.side(true), down, total, int(down/15000), false)
		})
	}
}

func TestProgressOfAPacketIsOneReport(t *testing.T) {
	checkGoroutines(t)
	p := newPair(t, link.ProtocolStreamsV2, link.ProtocolStreamsV2)
	register(t, p.bob, "echo", func(_ context.Context, req *transport.Request) (string, error) { return req.Payload, nil })
	log := &progressLog{t: t}
	reply, err := p.alice.Call(context.Background(), transport.Call{
		Destination: "bob", Method: "echo", Payload: "small", Force: transport.FormPacket, Progress: log.report,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := log.side(false)
	if len(got) != 1 || got[0].Bytes != 5 || got[0].Total != 5 || len(log.side(true)) != 0 {
		t.Fatalf("reports %+v for a %v request and a %v reply", log.reports, reply.Request, reply.Response)
	}
}

func TestNoProgressAfterCallReturns(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolRPCv2, engine.WithIDs(fixedIDs("req-1", "stream-1")))
	log := &progressLog{t: t}
	ctx, cancel := context.WithCancel(context.Background())
	res := goCall(ctx, e, transport.Call{Destination: "bob", Method: "m", Payload: "hi", Progress: log.report})
	l.next(t) // the request
	l.deliver(rpcAck("bob", "req-1"))
	resp := responseStream(t, "bob", "resp-1", map[string]string{engine.AttrRequestID: "req-1"},
		randomText(100<<10), datastream.SendOptions{ChunkBytes: 10000})
	for _, pkt := range resp[:3] { // the header and two chunks
		l.deliver(pkt)
	}
	l.sync()
	if n := len(log.side(true)); n != 2 {
		t.Fatalf("%d response reports after two chunks, want 2", n)
	}
	cancel()
	await(t, res)
	log.mu.Lock()
	log.returned = true
	log.mu.Unlock()
	for _, pkt := range resp[3:] { // the rest arrives after the call ended
		l.deliver(pkt)
	}
	l.sync()
}
