package datastream

import (
	"compress/flate"
	"testing"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"
)

// A compressed stream is inflated as its chunks arrive: before the trailer
// all but the decompressor's window (32 KiB) is already payload, the
// memory it holds is what MaxBufferedBytes counts, and the trailer
// completes it.
func TestCompressedStreamInflatesAsChunksArrive(t *testing.T) {
	text := jsonText(2<<20, 3)
	z := deflated(t, []byte(text), flate.BestSpeed)
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", length(uint64(len(text))), livekit.DataStream_DEFLATE_RAW))
	st := a.streams[streamKey{"s", "1"}]
	if len(evs) != 1 || st == nil {
		t.Fatalf("header: %s", kinds(evs))
	}
	fed, last := 0, 0
	for i, p := range chunksOf("s", "1", z) {
		if evs := feed(a, p); evs != nil {
			t.Fatalf("chunk %d: %s", i, kinds(evs))
		}
		fed += len(p.GetStreamChunk().Content)
		got := st.content.len()
		if got < last {
			t.Fatalf("chunk %d: payload shrank from %d to %d bytes", i, last, got)
		}
		last = got
		if a.Buffered() != st.content.charged() {
			t.Fatalf("chunk %d: Buffered() = %d, the stream holds %d", i, a.Buffered(), st.content.charged())
		}
	}
	if last < len(text)-64<<10 {
		t.Fatalf("before the trailer only %d of %d bytes were inflated", last, len(text))
	}
	if st.inflate.wire != int64(fed) {
		t.Fatalf("counted %d compressed bytes, fed %d", st.inflate.wire, fed)
	}
	evs = feed(a, trailer("s", "1", ""))
	if len(evs) != 1 || evs[0].Kind != Completed || evs[0].Text != text {
		t.Fatalf("trailer: %s, or the payload differs", kinds(evs))
	}
	if info := evs[0].Info; !info.Compressed || info.WireBytes != len(z) || info.Packets != len(chunksOf("s", "1", z))+2 {
		t.Fatalf("info %+v for %d compressed bytes", info, len(z))
	}
	if a.Buffered() != 0 {
		t.Fatalf("Buffered() = %d with nothing open", a.Buffered())
	}
}

// Corrupt data fails the stream at the chunk that shows it, not at the
// trailer, and so do bytes after the end of the DEFLATE data.
func TestCompressedStreamFailsAtTheBadChunk(t *testing.T) {
	good := deflated(t, []byte(jsonText(64<<10, 5)), flate.BestSpeed)
	for name, second := range map[string][]byte{
		"garbage":        {0xff, 0xff, 0xff, 0xff},
		"trailing bytes": {0x00},
	} {
		a := NewAssembler(Limits{}, nil)
		first := good
		if name == "garbage" {
			first = good[:len(good)/2]
		}
		evs := feed(a, header("s", "1", nil, livekit.DataStream_DEFLATE_RAW), chunk("s", "1", 0, first), chunk("s", "1", 1, second))
		wantFailure(t, a, evs, ErrCorrupt)
	}
}

// A compressed stream inflated past its total_length fails at that chunk,
// holding no more than total_length.
func TestCompressedStreamLongerThanAnnounced(t *testing.T) {
	text := jsonText(512<<10, 9)
	z := deflated(t, []byte(text), flate.BestSpeed)
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", length(100<<10), livekit.DataStream_DEFLATE_RAW))
	for _, p := range chunksOf("s", "1", z) {
		if st := a.streams[streamKey{"s", "1"}]; st != nil && st.content.len() > 100<<10 {
			t.Fatalf("holds %d bytes for a total_length of %d", st.content.len(), 100<<10)
		}
		if evs = append(evs, feed(a, p)...); len(evs) > 1 {
			break
		}
	}
	wantFailure(t, a, evs, ErrLength)
}

// Every way a compressed stream ends mid-way stops its inflating loop: no
// goroutine is left behind.
func TestCompressedStreamEndingsLeaveNoGoroutine(t *testing.T) {
	// goleak retries for a while: a stopped coroutine ends soon after.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	z := deflated(t, []byte(jsonText(256<<10, 4)), flate.BestSpeed)
	half := chunksOf("s", "1", z[:len(z)/2])
	endings := map[string]func(a *Assembler) []Event{
		"aborted":     func(a *Assembler) []Event { return feed(a, trailer("s", "1", "cancelled")) },
		"sender left": func(a *Assembler) []Event { return a.SenderLeft("s") },
		"closed":      func(a *Assembler) []Event { return a.Close() },
		"duplicate":   func(a *Assembler) []Event { return feed(a, header("s", "1", nil, 0)) },
		"out of order": func(a *Assembler) []Event {
			return feed(a, chunk("s", "1", 99, []byte{1}))
		},
	}
	for name, end := range endings {
		a := NewAssembler(Limits{}, nil)
		evs := feed(a, append([]*livekit.DataPacket{header("s", "1", nil, livekit.DataStream_DEFLATE_RAW)}, half...)...)
		if len(evs) != 1 {
			t.Fatalf("%s: setup %s", name, kinds(evs))
		}
		if evs := end(a); len(evs) != 1 || evs[0].Kind != Failed {
			t.Fatalf("%s: %s", name, kinds(evs))
		}
		if a.Open() != 0 || a.Buffered() != 0 {
			t.Fatalf("%s: open %d, buffered %d", name, a.Open(), a.Buffered())
		}
	}
}
