package datastream

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

var allOn = SendOptions{Inline: true, Compress: true}

func TestRoundTripEmpty(t *testing.T) {
	info := roundTrip(t, "", SendOptions{})
	if info != (Info{Packets: 2}) {
		t.Fatalf("empty chunked: %+v, want header + trailer only", info)
	}
	info = roundTrip(t, "", allOn)
	if info != (Info{Inline: true, Packets: 1}) {
		t.Fatalf("empty inline: %+v", info)
	}
}

func TestEmptyInlineContentKeepsPresence(t *testing.T) {
	pkts, _ := encodeAll(t, outgoing(""), SendOptions{Inline: true})
	got := overTheWire(t, pkts[0], "alice").GetStreamHeader()
	if got.InlineContent == nil {
		t.Fatal("empty inline_content lost its presence on the wire; a receiver would wait for chunks")
	}
}

func TestRoundTripTinyInline(t *testing.T) {
	info := roundTrip(t, "héllo", allOn)
	if info != (Info{Inline: true, Packets: 1, WireBytes: 6}) {
		t.Fatalf("tiny: %+v, want inline uncompressed (below CompressMin)", info)
	}
}

// inlineHeaderSize is the serialized size of o's inline header packet.
func inlineHeaderSize(o Outgoing) int {
	p := &plan{out: o}
	pkt := p.headerPacket()
	pkt.GetStreamHeader().InlineContent = []byte(o.Text)
	return proto.Size(pkt)
}

func TestInlineBoundary(t *testing.T) {
	o := outgoing(strings.Repeat("x", 14000))
	o.Text = strings.Repeat("x", len(o.Text)+MaxHeaderBytes-inlineHeaderSize(o))
	if got := inlineHeaderSize(o); got != MaxHeaderBytes {
		t.Fatalf("setup: header size %d, want %d", got, MaxHeaderBytes)
	}
	pkts, info := encodeAll(t, o, SendOptions{Inline: true})
	if !info.Inline || len(pkts) != 1 || proto.Size(pkts[0]) != MaxHeaderBytes {
		t.Fatalf("header of exactly %d bytes: %+v, %d packets", MaxHeaderBytes, info, len(pkts))
	}
	roundTrip(t, o.Text, SendOptions{Inline: true})

	o.Text += "x"
	if got := inlineHeaderSize(o); got != MaxHeaderBytes+1 {
		t.Fatalf("setup: header size %d, want %d", got, MaxHeaderBytes+1)
	}
	_, info = encodeAll(t, o, SendOptions{Inline: true})
	if info.Inline || info.Packets != 3 {
		t.Fatalf("header of %d bytes: %+v, want chunked in 3 packets", MaxHeaderBytes+1, info)
	}
	roundTrip(t, o.Text, SendOptions{Inline: true})
}

// checkChunks asserts every chunk is valid UTF-8, within size, contiguous,
// and that together they are text.
func checkChunks(t *testing.T, pkts []*livekit.DataPacket, text string, chunkBytes int) {
	t.Helper()
	var joined strings.Builder
	for i, p := range pkts[1 : len(pkts)-1] {
		c := p.GetStreamChunk()
		if c == nil || c.ChunkIndex != uint64(i) {
			t.Fatalf("packet %d is not chunk %d: %v", i+1, i, p)
		}
		if len(c.Content) == 0 || len(c.Content) > chunkBytes {
			t.Fatalf("chunk %d has %d bytes, limit %d", i, len(c.Content), chunkBytes)
		}
		if !utf8.Valid(c.Content) {
			t.Fatalf("chunk %d is not valid UTF-8 on its own", i)
		}
		joined.Write(c.Content)
	}
	if joined.String() != text {
		t.Fatal("chunks do not concatenate to the text")
	}
}

func TestChunksCutAtCodePoints(t *testing.T) {
	for _, r := range []rune{'é', '€', '😀'} {
		w := utf8.RuneLen(r)
		for shift := range w { // shifts the runes across every boundary position
			text := strings.Repeat("a", shift) + strings.Repeat(string(r), 3*MaxChunkBytes/w+7)
			pkts, info := encodeAll(t, outgoing(text), SendOptions{})
			if info.Compressed || info.Inline || info.Packets < 5 {
				t.Fatalf("rune %q shift %d: %+v", r, shift, info)
			}
			checkChunks(t, pkts, text, MaxChunkBytes)
			roundTrip(t, text, SendOptions{})
		}
	}
}

func TestChunksCutAtCodePointsSmallSizes(t *testing.T) {
	text := highEntropyText(3000, 7)
	for size := MinChunkBytes; size <= 40; size++ {
		opts := SendOptions{ChunkBytes: size}
		pkts, _ := encodeAll(t, outgoing(text), opts)
		checkChunks(t, pkts, text, size)
		roundTrip(t, text, opts)
	}
}

func TestChunkBytesDefaultsAndCap(t *testing.T) {
	text := strings.Repeat("z", 2*MaxChunkBytes+1)
	for _, size := range []int{0, MaxChunkBytes + 1, 1 << 20} {
		pkts, _ := encodeAll(t, outgoing(text), SendOptions{ChunkBytes: size})
		if len(pkts) != 5 {
			t.Fatalf("ChunkBytes %d: %d packets, want 3 chunks of ≤ %d", size, len(pkts), MaxChunkBytes)
		}
		checkChunks(t, pkts, text, MaxChunkBytes)
	}
}

func TestCompressedInline(t *testing.T) {
	text := strings.Repeat("a", 100<<10)
	info := roundTrip(t, text, allOn)
	if !info.Inline || !info.Compressed || info.WireBytes > 1000 {
		t.Fatalf("100 KiB of one letter: %+v, want one compressed packet", info)
	}
}

func TestCompressedInlineOnlyWhenSmaller(t *testing.T) {
	// Small enough to inline plain, and compressible: compressed wins.
	text := strings.Repeat("abcd", 2500) // 10 000 bytes: over DefaultCompressMin
	if info := roundTrip(t, text, allOn); !info.Inline || !info.Compressed {
		t.Fatalf("compressible inline: %+v", info)
	}
	// Incompressible: compression must not be used inline.
	text = highEntropyText(10000, 3)
	if info := roundTrip(t, text, allOn); !info.Inline || info.Compressed {
		t.Fatalf("incompressible inline: %+v", info)
	}
}

func TestCompressedChunked(t *testing.T) {
	text := jsonText(1<<20, 1)
	pkts, info := encodeAll(t, outgoing(text), allOn)
	if info.Inline || !info.Compressed || info.WireBytes*2 > len(text) {
		t.Fatalf("1 MiB JSON: %+v, want chunked and compressed at least 2×", info)
	}
	h := pkts[0].GetStreamHeader()
	if h.Compression != livekit.DataStream_DEFLATE_RAW || h.GetTotalLength() != uint64(len(text)) {
		t.Fatalf("header compression %v total_length %d, want DEFLATE_RAW and %d", h.Compression, h.GetTotalLength(), len(text))
	}
	for _, p := range pkts[1 : len(pkts)-1] {
		if n := len(p.GetStreamChunk().GetContent()); n > MaxChunkBytes {
			t.Fatalf("compressed chunk of %d bytes", n)
		}
	}
	roundTrip(t, text, allOn)
}

func TestIncompressibleNotCompressed(t *testing.T) {
	text := highEntropyText(200<<10, 5)
	if c, err := deflate(text, DefaultLevel, len(text)*2); err != nil || savesEnough(len(c), len(text)) {
		t.Fatalf("setup: high-entropy text compresses to %d of %d bytes (%v)", len(c), len(text), err)
	}
	info := roundTrip(t, text, allOn)
	if info.Compressed || info.WireBytes != len(text) {
		t.Fatalf("incompressible: %+v", info)
	}
}

func TestDeflateGivesUpOverBudget(t *testing.T) {
	text := highEntropyText(1<<20, 9)
	c, err := deflate(text, DefaultLevel, len(text)/2)
	if err != nil || c != nil {
		t.Fatalf("deflate over budget = %d bytes, %v; want nil, nil", len(c), err)
	}
}

func TestCompressFalseNeverCompresses(t *testing.T) {
	for _, text := range []string{strings.Repeat("a", 1000), strings.Repeat("b", 1<<20)} {
		info := roundTrip(t, text, SendOptions{Inline: true})
		if info.Compressed {
			t.Fatalf("%d bytes compressed without Compress: %+v", len(text), info)
		}
	}
}

func TestInlineFalseNeverInlines(t *testing.T) {
	for _, text := range []string{"x", strings.Repeat("a", 5000)} {
		info := roundTrip(t, text, SendOptions{Compress: true})
		if info.Inline || info.Packets != 3 {
			t.Fatalf("%d bytes without Inline: %+v, want header + 1 chunk + trailer", len(text), info)
		}
	}
}

func TestCompressMin(t *testing.T) {
	text := strings.Repeat("ab", 200) // 400 bytes, very compressible
	if info := roundTrip(t, text, SendOptions{Compress: true, CompressMin: 401}); info.Compressed {
		t.Fatalf("compressed below CompressMin: %+v", info)
	}
	if info := roundTrip(t, text, SendOptions{Compress: true, CompressMin: 400}); !info.Compressed {
		t.Fatalf("not compressed at CompressMin: %+v", info)
	}
	if info := roundTrip(t, strings.Repeat("a", DefaultCompressMin-1), SendOptions{Compress: true}); info.Compressed {
		t.Fatalf("compressed below DefaultCompressMin: %+v", info)
	}
}

func TestEncodeHeaderFields(t *testing.T) {
	o := outgoing("héllo")
	pkts, _ := encodeAll(t, o, SendOptions{})
	h := pkts[0].GetStreamHeader()
	switch {
	case h.StreamId != o.StreamID, h.Topic != o.Topic, h.Timestamp != o.Timestamp, h.MimeType != "text/plain":
		t.Fatalf("header fields: %v", h)
	case h.TotalLength == nil || *h.TotalLength != 6:
		t.Fatalf("total_length = %v, want 6 (UTF-8 bytes)", h.TotalLength)
	case h.GetTextHeader() == nil || h.GetTextHeader().OperationType != livekit.DataStream_CREATE:
		t.Fatalf("text header: %v", h.ContentHeader)
	case h.Compression != livekit.DataStream_NONE || h.InlineContent != nil:
		t.Fatalf("plain chunked header carries compression %v / inline %q", h.Compression, h.InlineContent)
	}
	for _, p := range pkts {
		if len(p.DestinationIdentities) != 1 || p.DestinationIdentities[0] != "bob" {
			t.Fatalf("destinations %v on %v", p.DestinationIdentities, p)
		}
	}
	if tr := pkts[2].GetStreamTrailer(); tr == nil || tr.Reason != "" || tr.StreamId != o.StreamID {
		t.Fatalf("trailer: %v", pkts[2])
	}
}

func TestEncodeCopiesCallerMaps(t *testing.T) {
	o := outgoing("hi")
	seq, _, err := Encode(o, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o.Attributes["lk.rpc_request_id"] = "changed"
	o.Destinations[0] = "mallory"
	for p := range seq {
		if p.DestinationIdentities[0] != "bob" {
			t.Fatalf("destinations follow the caller's slice: %v", p.DestinationIdentities)
		}
		if h := p.GetStreamHeader(); h != nil && h.Attributes["lk.rpc_request_id"] == "changed" {
			t.Fatal("attributes follow the caller's map")
		}
	}
}

func TestEncodeIteratorStopsEarlyAndRepeats(t *testing.T) {
	seq, info, err := Encode(outgoing(strings.Repeat("q", 3*MaxChunkBytes)), SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range seq {
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("stopped after %d", n)
	}
	n = 0
	for range seq {
		n++
	}
	if n != info.Packets {
		t.Fatalf("second range yielded %d packets, want %d", n, info.Packets)
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	bad := func(mut func(*Outgoing), opts SendOptions) error {
		o := outgoing("hi")
		mut(&o)
		_, _, err := Encode(o, opts)
		return err
	}
	none := func(*Outgoing) {}
	cases := map[string]error{
		"empty stream id":    bad(func(o *Outgoing) { o.StreamID = "" }, SendOptions{}),
		"bad stream id":      bad(func(o *Outgoing) { o.StreamID = "\xff" }, SendOptions{}),
		"empty topic":        bad(func(o *Outgoing) { o.Topic = "" }, SendOptions{}),
		"bad topic":          bad(func(o *Outgoing) { o.Topic = "t\xc3" }, SendOptions{}),
		"bad text":           bad(func(o *Outgoing) { o.Text = "ok\xed\xa0\x80" }, SendOptions{}),
		"empty destination":  bad(func(o *Outgoing) { o.Destinations = []string{""} }, SendOptions{}),
		"bad destination":    bad(func(o *Outgoing) { o.Destinations = []string{"\x80"} }, SendOptions{}),
		"bad attribute":      bad(func(o *Outgoing) { o.Attributes["k"] = "\xfe" }, SendOptions{}),
		"negative min":       bad(none, SendOptions{CompressMin: -1}),
		"bad level":          bad(none, SendOptions{Level: 10}),
		"tiny chunks":        bad(none, SendOptions{ChunkBytes: 3}),
		"negative chunk":     bad(none, SendOptions{ChunkBytes: -1}),
		"huge header":        bad(func(o *Outgoing) { o.Attributes["big"] = strings.Repeat("a", MaxHeaderBytes) }, SendOptions{}),
		"huge header inline": bad(func(o *Outgoing) { o.Attributes["big"] = strings.Repeat("a", MaxHeaderBytes) }, allOn),
	}
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if !errors.Is(cases["huge header"], ErrHeaderTooLarge) {
		t.Errorf("huge header: %v, want ErrHeaderTooLarge", cases["huge header"])
	}
	if err := bad(func(o *Outgoing) { o.Destinations = nil }, SendOptions{}); err != nil {
		t.Errorf("no destinations (broadcast) refused: %v", err)
	}
}

func TestAbort(t *testing.T) {
	dests := []string{"bob"}
	p := Abort("s1", dests, "cancelled")
	dests[0] = "changed"
	tr := p.GetStreamTrailer()
	if tr == nil || tr.StreamId != "s1" || tr.Reason != "cancelled" || p.DestinationIdentities[0] != "bob" {
		t.Fatalf("Abort: %v", p)
	}
	if r := Abort("s1", nil, "").GetStreamTrailer().GetReason(); r == "" {
		t.Fatal("Abort with an empty reason would read as a normal end")
	}
}

// Encode shares pooled compressors between goroutines; each result must
// still be its own.
func TestEncodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			text := jsonText(50<<10+g*1000, uint64(g))
			opts := SendOptions{Compress: true, Level: []int{1, 6, 9, -2}[g%4], ChunkBytes: 1000 + g}
			seq, info, err := Encode(outgoing(text), opts)
			if err != nil || !info.Compressed {
				errs <- fmt.Errorf("goroutine %d: %+v, %v", g, info, err)
				return
			}
			a := NewAssembler(Limits{}, nil)
			var last []Event
			for p := range seq {
				p.ParticipantIdentity = "alice"
				last = a.Feed(p)
			}
			if len(last) != 1 || last[0].Text != text {
				errs <- fmt.Errorf("goroutine %d: %s", g, kinds(last))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
