package datastream

import (
	"bytes"
	"compress/flate"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/internal/offheap"
)

// Large streams (past offHeapMin) wait off the Go heap: every way a stream
// ends unmaps its memory, counted by offheap.Mappings.

// needOffHeap skips where nothing is mapped, and returns the number of live
// mappings once earlier tests' unreachable buffers have been cleaned up.
func needOffHeap(t *testing.T) int {
	t.Helper()
	if !offheap.Supported {
		t.Skip("no memory mappings on this platform")
	}
	return offheap.SettledMappings()
}

// wantMappings checks how many mappings are live beyond base.
func wantMappings(t *testing.T, base, want int, when string) {
	t.Helper()
	if got := offheap.Mappings() - base; got != want {
		t.Fatalf("%s: %d live mappings, want %d", when, got, want)
	}
}

// bigText is valid UTF-8 text of n bytes that DEFLATE shrinks little.
func bigText(n int) string { return utf8Prefix(highEntropyText(n+8, 7), n) }

// utf8Prefix cuts s to at most n bytes at a code point boundary, then pads
// it with ASCII to exactly n bytes.
func utf8Prefix(s string, n int) string {
	end := textCut(s, 0, n)
	return s[:end] + strings.Repeat("x", n-end)
}

// chunksOf cuts content into MaxChunkBytes chunks of stream id from sender.
func chunksOf(sender, id string, content []byte) []*livekit.DataPacket {
	var pkts []*livekit.DataPacket
	for i := 0; i*MaxChunkBytes < len(content); i++ {
		pkts = append(pkts, chunk(sender, id, uint64(i), content[i*MaxChunkBytes:min(len(content), (i+1)*MaxChunkBytes)]))
	}
	return pkts
}

// openLarge opens stream id from sender and feeds it n bytes of text (in
// chunks), announcing total as its total_length; it checks the stream is
// then mapped.
func openLarge(t *testing.T, a *Assembler, sender, id string, text string, total *uint64) {
	t.Helper()
	evs := feed(a, append([]*livekit.DataPacket{header(sender, id, total, 0)}, chunksOf(sender, id, []byte(text))...)...)
	if len(evs) != 1 || evs[0].Kind != Opened {
		t.Fatalf("opening %s: %s", id, kinds(evs))
	}
	if st := a.streams[streamKey{sender, id}]; st == nil || st.content.mapped.Cap() == 0 {
		t.Fatalf("stream %s of %d bytes is not mapped", id, len(text))
	}
}

func TestOffHeapCompletionCopiesThenReleases(t *testing.T) {
	base := needOffHeap(t)
	text := bigText(300 << 10)
	for name, total := range map[string]*uint64{"total_length": length(uint64(len(text))), "no total_length": nil} {
		a := NewAssembler(Limits{}, nil)
		pkts := chunksOf("s", "1", []byte(text))
		feed(a, append([]*livekit.DataPacket{header("s", "1", total, 0)}, pkts[:10]...)...)
		wantMappings(t, base, 1, name+", open")
		if got, want := a.Buffered(), int64(a.streams[streamKey{"s", "1"}].content.mapped.Cap()); got != want {
			t.Fatalf("%s: Buffered() = %d, the mapping holds %d", name, got, want)
		}
		evs := feed(a, append(pkts[10:], trailer("s", "1", ""))...)
		wantMappings(t, base, 0, name+", completed")
		if a.Buffered() != 0 {
			t.Fatalf("%s: Buffered() = %d with no stream open", name, a.Buffered())
		}
		if len(evs) != 1 || evs[0].Kind != Completed {
			t.Fatalf("%s: %s", name, kinds(evs))
		}
		// The payload was copied before the memory was unmapped: reading it
		// now would fault otherwise.
		runtime.GC()
		if evs[0].Text != text {
			t.Fatalf("%s: payload differs", name)
		}
	}
}

func TestOffHeapMapsFromTheFirstChunkPast64KiB(t *testing.T) {
	base := needOffHeap(t)
	a := NewAssembler(Limits{}, nil)
	text := bigText(offHeapMin + MaxChunkBytes)
	pkts := chunksOf("s", "1", []byte(text))
	feed(a, header("s", "1", nil, 0))
	for i, p := range pkts {
		feed(a, p)
		mapped := (i+1)*MaxChunkBytes > offHeapMin
		if got := a.streams[streamKey{"s", "1"}].content.mapped.Cap() > 0; got != mapped {
			t.Fatalf("after %d bytes: mapped %v", (i+1)*MaxChunkBytes, got)
		}
	}
	wantMappings(t, base, 1, "open")
	evs := feed(a, trailer("s", "1", ""))
	if len(evs) != 1 || evs[0].Text != text {
		t.Fatalf("%s, or the payload differs", kinds(evs))
	}
	wantMappings(t, base, 0, "completed")
}

// Every way a large stream can end without completing releases its memory.
func TestOffHeapReleasedOnEveryEnding(t *testing.T) {
	base := needOffHeap(t)
	text := bigText(100 << 10)
	next := uint64(len(chunksOf("s", "1", []byte(text))))
	for _, c := range []struct {
		name  string
		lim   Limits
		total *uint64
		end   func(a *Assembler) []Event
		cause error
	}{
		{"abort trailer", Limits{}, nil, func(a *Assembler) []Event { return feed(a, trailer("s", "1", "cancelled")) }, ErrAborted},
		{"chunk out of order", Limits{}, nil, func(a *Assembler) []Event { return feed(a, chunk("s", "1", next+1, []byte("x"))) }, ErrChunkOrder},
		{"past total_length", Limits{}, length(uint64(len(text))), func(a *Assembler) []Event { return feed(a, chunk("s", "1", next, []byte("x"))) }, ErrLength},
		{"short of total_length", Limits{}, length(uint64(len(text)) + 1), func(a *Assembler) []Event { return feed(a, trailer("s", "1", "")) }, ErrLength},
		{"invalid UTF-8", Limits{}, nil, func(a *Assembler) []Event {
			return feed(a, chunk("s", "1", next, []byte{0xff}), trailer("s", "1", ""))
		}, ErrInvalidUTF8},
		{"payload limit", Limits{MaxPayloadBytes: int64(len(text))}, nil, func(a *Assembler) []Event { return feed(a, chunk("s", "1", next, []byte("x"))) }, ErrTooLarge},
		{"buffered limit", Limits{MaxBufferedBytes: int64(offheap.Round(len(text)))}, nil, func(a *Assembler) []Event {
			return feed(a, chunk("s", "1", next, make([]byte, MaxChunkBytes)))
		}, ErrTooLarge},
		{"duplicate header", Limits{}, nil, func(a *Assembler) []Event { return feed(a, header("s", "1", nil, 0)) }, ErrDuplicate},
		{"sender left", Limits{}, nil, func(a *Assembler) []Event { return a.SenderLeft("s") }, ErrSenderLeft},
		{"closed", Limits{}, nil, func(a *Assembler) []Event { return a.Close() }, ErrClosed},
	} {
		a := NewAssembler(c.lim, nil)
		openLarge(t, a, "s", "1", text, c.total)
		wantMappings(t, base, 1, c.name+", open")
		evs := c.end(a)
		if len(evs) != 1 || evs[0].Kind != Failed || !errors.Is(evs[0].Err, c.cause) {
			t.Fatalf("%s: %s, want Failed(%v)", c.name, kinds(evs), c.cause)
		}
		wantMappings(t, base, 0, c.name+", ended")
		if a.Buffered() != 0 || a.Open() != 0 {
			t.Fatalf("%s: Buffered() = %d, Open() = %d", c.name, a.Buffered(), a.Open())
		}
		// Whatever comes later for the stream finds nothing to release twice.
		feed(a, trailer("s", "1", ""))
		a.SenderLeft("s")
		a.Close()
		wantMappings(t, base, 0, c.name+", later")
	}
}

// After Close nothing is buffered, mapped or reported.
func TestClosedAssemblerIgnoresPackets(t *testing.T) {
	base := needOffHeap(t)
	a := NewAssembler(Limits{}, nil)
	openLarge(t, a, "s", "1", bigText(100<<10), nil)
	if evs := a.Close(); len(evs) != 1 || !errors.Is(evs[0].Err, ErrClosed) {
		t.Fatalf("Close: %s", kinds(evs))
	}
	text := []byte(bigText(100 << 10))
	evs := feed(a, append([]*livekit.DataPacket{header("s", "2", nil, 0)}, append(chunksOf("s", "2", text), trailer("s", "2", ""))...)...)
	if len(evs) != 0 || a.Open() != 0 || a.Buffered() != 0 {
		t.Fatalf("after Close: %s, open %d, buffered %d", kinds(evs), a.Open(), a.Buffered())
	}
	wantMappings(t, base, 0, "closed")
	if evs := a.Close(); len(evs) != 0 {
		t.Fatalf("second Close: %s", kinds(evs))
	}
}

// Empty streams map nothing, with or without total_length.
func TestOffHeapEmptyStreams(t *testing.T) {
	base := needOffHeap(t)
	a := NewAssembler(Limits{}, nil)
	for name, pkts := range map[string][]*livekit.DataPacket{
		"total_length 0, no chunk":      {header("s", "1", length(0), 0), trailer("s", "1", "")},
		"total_length 0, empty chunk":   {header("s", "1", length(0), 0), chunk("s", "1", 0, nil), trailer("s", "1", "")},
		"no total_length, empty chunks": {header("s", "1", nil, 0), chunk("s", "1", 0, []byte{}), chunk("s", "1", 1, nil), trailer("s", "1", "")},
	} {
		evs := feed(a, pkts...)
		if len(evs) != 2 || evs[1].Kind != Completed || evs[1].Text != "" {
			t.Fatalf("%s: %s", name, kinds(evs))
		}
		wantMappings(t, base, 0, name)
	}
}

// Large compressed streams are inflated as their chunks come, and the
// inflated bytes wait off the heap like any stream's.
func TestOffHeapCompressed(t *testing.T) {
	base := needOffHeap(t)
	text := bigText(300 << 10)
	z := deflated(t, []byte(text), flate.BestSpeed)
	if len(z) <= offHeapMin {
		t.Fatalf("compressed to %d bytes: not past offHeapMin", len(z))
	}
	for name, total := range map[string]*uint64{"total_length": length(uint64(len(text))), "no total_length": nil} {
		a := NewAssembler(Limits{}, nil)
		evs := feed(a, append([]*livekit.DataPacket{header("s", "1", total, livekit.DataStream_DEFLATE_RAW)}, chunksOf("s", "1", z)...)...)
		if len(evs) != 1 {
			t.Fatalf("%s: %s", name, kinds(evs))
		}
		wantMappings(t, base, 1, name+", open")
		evs = feed(a, trailer("s", "1", ""))
		wantMappings(t, base, 0, name+", completed")
		runtime.GC()
		if len(evs) != 1 || evs[0].Kind != Completed || evs[0].Text != text || !evs[0].Info.Compressed {
			t.Fatalf("%s: %s, or the payload differs", name, kinds(evs))
		}
	}
	// A bomb without total_length stops at the limit, its mapping released.
	bomb := deflated(t, make([]byte, 4<<20), flate.BestCompression)
	c := content{offHeapMin: offHeapMin}
	if err := inflateWhole(&c, bomb, 1<<20); err != errTooLong || c.len() > 1<<20 {
		t.Fatalf("bomb: %d bytes, %v", c.len(), err)
	}
	c.release()
	wantMappings(t, base, 0, "bomb")
	// A short one inflates exactly, as fresh heap memory.
	c = content{offHeapMin: offHeapMin}
	err := inflateWhole(&c, deflated(t, []byte("tiny"), flate.BestSpeed), 1<<20)
	if out, owned := c.bytes(); string(out) != "tiny" || !owned || err != nil {
		t.Fatalf("tiny: %q (owned %v), %v", out, owned, err)
	}
	wantMappings(t, base, 0, "tiny")
}

// A mapping grows with what arrives (an eighth more, at least 64 KiB, never
// past total_length), and MaxBufferedBytes counts it whole; near the limit
// it maps only what it needs, so the limit refuses no sooner than the bytes
// require (to a page).
func TestOffHeapGrowthAndBudget(t *testing.T) {
	needOffHeap(t)
	text := []byte(bigText(2 << 20))
	a := NewAssembler(Limits{}, nil)
	total := length(uint64(len(text)))
	feed(a, header("s", "1", total, 0))
	st := a.streams[streamKey{"s", "1"}]
	grows := 0
	for _, p := range chunksOf("s", "1", text) {
		before := st.content.mapped.Cap()
		feed(a, p)
		c := st.content.mapped.Cap()
		if c != before {
			grows++
		}
		if n := st.content.len(); n > offHeapMin && (c < n || c > offheap.Round(max(n+n/growthDivisor, n+growthMin, before+before/growthDivisor+growthMin))) {
			t.Fatalf("%d bytes held in a mapping of %d", n, c)
		}
		if c > offheap.Round(len(text)) {
			t.Fatalf("mapping of %d bytes for a total_length of %d", c, len(text))
		}
		if a.Buffered() != int64(c)+int64(st.content.small.len()) {
			t.Fatalf("Buffered() = %d, the stream holds %d", a.Buffered(), c)
		}
	}
	if grows > 40 {
		t.Errorf("the mapping grew %d times for 2 MiB", grows)
	}
	a.Close()

	// With room for exactly the bytes (whole pages), every byte fits.
	a = NewAssembler(Limits{MaxBufferedBytes: int64(offheap.Round(len(text)))}, nil)
	evs := feed(a, append(append([]*livekit.DataPacket{header("s", "1", nil, 0)}, chunksOf("s", "1", text)...), trailer("s", "1", ""))...)
	if len(evs) != 2 || evs[1].Kind != Completed || !bytes.Equal([]byte(evs[1].Text), text) {
		t.Fatalf("at the limit: %s", kinds(evs))
	}
}
