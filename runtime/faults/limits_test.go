package faults_test

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const smallCap = 64 << 10 // the inbound payload cap these tests configure

// A request whose header announces more than the cap is refused at header
// time: 1500 with data naming the limit, the handler never runs.
func TestRequestOverInboundCap(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", plain(), engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: smallCap}))
	alice := v.join("alice", plain())
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: randtext.New(smallCap+1, 1)})
	e := r.wantCode(t, rpcerr.ApplicationError, 0, promptBound)
	if want := fmt.Sprintf("exceeds the limit of %d bytes", smallCap); !strings.Contains(e.Data, want) {
		t.Errorf("data %q does not name the limit (%q)", e.Data, want)
	}
	closeWithin(t, bob.Engine)
	ran.want(t, 0)
}

// A response over the caller's cap fails the call with 1500 naming the limit.
func TestResponseOverInboundCap(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", plain())
	alice := v.join("alice", plain(), engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: smallCap}))
	serve(t, bob, "faults.Big", func(context.Context, *transport.Request) (string, error) { return randtext.New(smallCap+1, 1), nil })
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Big", Payload: "x"})
	e := r.wantCode(t, rpcerr.ApplicationError, 0, promptBound)
	if want := fmt.Sprintf("exceeds the limit of %d bytes", smallCap); !strings.Contains(e.Message, want) {
		t.Errorf("message %q does not name the limit (%q)", e.Message, want)
	}
}

// A stream that announces no total_length is refused at the chunk that
// crosses the cap, before its sender has finished: early, and without
// buffering past the limit.
func TestRequestOverCapRejectedEarly(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil, engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: smallCap}))
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	mallory := v.scripted("mallory")
	const id, sid = "too-big", "s-big"
	content := []byte(randtext.New(15000, 1))
	mallory.send(t, header("bob", sid, engine.TopicRequest, requestAttrs(id, "faults.Echo"), nil))
	for i := range uint64(5) { // 75000 bytes: the fifth chunk crosses 65536
		mallory.send(t, chunk("bob", sid, i, content))
	}
	resp := mallory.next(t, promptBound, "response", responseFor(id)) // before any trailer
	re := errorOf(resp)
	if want := fmt.Sprintf("more than the limit of %d", smallCap); re.GetCode() != rpcerr.ApplicationError || !strings.Contains(re.GetData(), want) {
		t.Fatalf("response %v, want 1500 naming the limit (%q)", resp.GetRpcResponse(), want)
	}
	t.Logf("answered %d %q data %q", re.GetCode(), re.GetMessage(), re.GetData())
	// The rest of the stream is ignored.
	mallory.send(t, chunk("bob", sid, 5, content), trailer("bob", sid, ""))
	closeWithin(t, bob.Engine)
	mallory.flush(t, bob.link)
	if n := mallory.count(responseFor(id)); n != 1 {
		t.Errorf("%d responses, want exactly 1", n)
	}
	ran.want(t, 0)
}

// A sender may hold at most MaxStreamsPerSender request streams open; the
// next one is answered 1500 at once, the open ones are unaffected.
func TestTooManyStreamsPerSender(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil, engine.WithInboundLimits(engine.InboundLimits{MaxStreamsPerSender: 2}))
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	mallory := v.scripted("mallory", memroom.WithClientProtocol(link.ProtocolV1)) // replies come as packets
	for i := range 3 {
		id := fmt.Sprint("open-", i)
		mallory.send(t, header("bob", id, engine.TopicRequest, requestAttrs(id, "faults.Echo"), lengthOf(2)),
			chunk("bob", id, 0, []byte("h")))
	}
	resp := mallory.next(t, promptBound, "response", responseFor("open-2"))
	if re := errorOf(resp); re.GetCode() != rpcerr.ApplicationError || !strings.Contains(re.GetData(), "already has 2 streams open") {
		t.Fatalf("third stream answered %v, want 1500 naming the limit", resp.GetRpcResponse())
	}
	for i := range 2 { // the first two complete normally
		id := fmt.Sprint("open-", i)
		mallory.send(t, chunk("bob", id, 1, []byte("i")), trailer("bob", id, ""))
		if got := mallory.next(t, promptBound, "response", responseFor(id)).GetRpcResponse(); got.GetPayload() != "hi" {
			t.Errorf("stream %d answered %v", i, got)
		}
	}
	closeWithin(t, bob.Engine)
	ran.want(t, 2)
}

// All open streams together buffer at most MaxBufferedBytes, whoever sends
// them.
func TestBufferedBytesAcrossSenders(t *testing.T) {
	v := newEnv(t)
	bob := v.join("bob", nil, engine.WithInboundLimits(engine.InboundLimits{MaxBufferedBytes: 40000}))
	serve(t, bob, "faults.Echo", echo)
	content := []byte(randtext.New(15000, 1))
	var peers []*scripted
	for i := range 3 {
		p := v.scripted(fmt.Sprint("peer-", i))
		p.send(t, header("bob", "s", engine.TopicRequest, requestAttrs("r", "faults.Echo"), lengthOf(30000)),
			chunk("bob", "s", 0, content))
		peers = append(peers, p)
	}
	// 3 × 15000 > 40000: the third sender's first chunk is refused.
	re := errorOf(peers[2].next(t, promptBound, "response", responseFor("r")))
	if want := "open streams would buffer more than 40000 bytes"; re.GetCode() != rpcerr.ApplicationError || !strings.Contains(re.GetData(), want) {
		t.Fatalf("answered %d %q, want 1500 naming the limit", re.GetCode(), re.GetData())
	}
	closeWithin(t, bob.Engine)
}

// deflateBomb returns n MiB of zero bytes as raw DEFLATE (about 1 KiB per
// MiB). Compressing it all would take most of a minute under the race
// detector, so it compresses two MiB and repeats the second one's block:
// once the window holds only zeros, every further MiB of zeros compresses
// to the same bytes (checked on a third).
func deflateBomb(t *testing.T, mib int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	block := func() []byte {
		out.Reset()
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // ends the block on a byte boundary
			t.Fatal(err)
		}
		return bytes.Clone(out.Bytes())
	}
	first, repeat := block(), block()
	if again := block(); !bytes.Equal(again, repeat) {
		t.Fatal("compressed MiBs of zeros differ; cannot build the bomb by repetition")
	}
	out.Reset()
	if err := w.Close(); err != nil { // the final (empty) block
		t.Fatal(err)
	}
	bomb := append(first, bytes.Repeat(repeat, mib-1)...)
	return append(bomb, out.Bytes()...)
}

// A compressed request that inflates far past the cap is refused once
// inflation passes the cap: the bytes allocated while it is received and
// refused stay near the cap, not near what it would inflate to.
func TestDeflateBombRefused(t *testing.T) {
	const inflated, limit = 64 << 20, 1 << 20
	bomb := deflateBomb(t, inflated>>20)
	if n := inflatedSize(t, bomb); n != inflated {
		t.Fatalf("the bomb inflates to %d bytes, want %d", n, inflated)
	}
	for _, c := range []struct {
		name  string
		total *uint64 // what the header claims
		why   string
	}{
		{"no total_length", nil, fmt.Sprintf("inflates to more than the limit of %d bytes", limit)},
		{"total_length lies", lengthOf(1000), "inflates to more than total_length 1000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := newEnv(t)
			bob := v.join("bob", nil, engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: limit}))
			var ran counter
			serve(t, bob, "faults.Echo", ran.wrap(echo))
			mallory := v.scripted("mallory")
			pkts := streamPackets("bob", "bomb", engine.TopicRequest, requestAttrs("bomb", "faults.Echo"), c.total, bomb, 15000, "")
			pkts[0].GetStreamHeader().Compression = livekit.DataStream_DEFLATE_RAW

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			mallory.send(t, pkts...)
			resp := mallory.next(t, promptBound, "response", responseFor("bomb"))
			runtime.ReadMemStats(&after)

			if re := errorOf(resp); re.GetCode() != rpcerr.ApplicationError || !strings.Contains(re.GetData(), c.why) {
				t.Fatalf("bomb answered %v, want 1500 saying %q", resp.GetRpcResponse(), c.why)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d compressed bytes that inflate to %d: %d bytes allocated while refusing it", len(bomb), inflated, allocated)
			// Generous: the cap, the compressed bytes (and the room's copies
			// of them), and inflate's own buffers come to a few MiB.
			if allocated > 32<<20 {
				t.Errorf("allocated %d bytes refusing a bomb capped at %d", allocated, limit)
			}
			closeWithin(t, bob.Engine)
			ran.want(t, 0)
		})
	}
}

// inflatedSize inflates b into nothing and returns how many bytes came out.
func inflatedSize(t *testing.T, b []byte) int64 {
	t.Helper()
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
