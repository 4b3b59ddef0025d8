package datastream

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/internal/offheap"
)

// fuzzBytes hands out fuzz input piece by piece; past the end it yields
// zeros, so every input is a complete program.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) more() bool { return len(f.b) > 0 }

func (f *fuzzBytes) next() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzBytes) take(n int) []byte {
	n = min(n, len(f.b))
	p := f.b[:n]
	f.b = f.b[n:]
	return p
}

// fuzzDeflated is valid compressed content the fuzzer can slice into
// chunks, so compressed streams sometimes inflate successfully.
var fuzzDeflated = func() []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write([]byte("héllo héllo héllo wörld"))
	w.Close()
	return b.Bytes()
}()

var fuzzLimits = Limits{MaxPayloadBytes: 64, MaxStreamsPerSender: 2, MaxBufferedBytes: 100}

// fuzzPacket builds the next packet (or SenderLeft) from the input and
// feeds it.
func fuzzStep(in *fuzzBytes, a *Assembler) []Event {
	senders := []string{"", "s", "t"}
	ids := []string{"1", "2", "3"}
	op := in.next()
	sender, id := senders[op%3], ids[op/3%3]
	switch op / 9 % 4 {
	case 0:
		flags := in.next()
		h := header(sender, id, nil, livekit.DataStream_CompressionType(flags&3))
		hh := h.GetStreamHeader()
		if flags&4 != 0 {
			hh.TotalLength = length(uint64(in.next() % 80))
		}
		if flags&8 != 0 {
			hh.InlineContent = append([]byte{}, in.take(int(in.next()%80))...)
		}
		if flags&16 != 0 {
			hh.Topic = "reject"
		}
		if flags&32 != 0 {
			hh.ContentHeader = &livekit.DataStream_Header_ByteHeader{ByteHeader: &livekit.DataStream_ByteHeader{}}
		}
		return a.Feed(h)
	case 1:
		index, n := uint64(in.next()%4), int(in.next()%40)
		content := in.take(n)
		if n%2 == 1 { // a slice of valid compressed data
			off := int(in.next()) % len(fuzzDeflated)
			content = fuzzDeflated[off:min(len(fuzzDeflated), off+n)]
		}
		return a.Feed(chunk(sender, id, index, content))
	case 2:
		reason := ""
		if in.next()%4 == 0 {
			reason = "stop"
		}
		return a.Feed(trailer(sender, id, reason))
	default:
		return a.SenderLeft(sender)
	}
}

func FuzzReassembly(f *testing.F) {
	// header, chunk 0, trailer of one plain stream
	f.Add([]byte{0, 4, 3, 9, 0, 2, 'h', 'i', 18, 1})
	// compressed header, then chunks of valid deflate, trailer
	f.Add([]byte{3, 1, 12, 0, 20, 0, 12, 1, 19, 20, 21, 1})
	// inline header with content
	f.Add([]byte{0, 8, 3, 'a', 'b', 'c'})
	// three streams of one sender (over the limit), then it leaves
	f.Add([]byte{1, 0, 4, 0, 7, 0, 28})
	// a duplicate header, chunk gap, abort
	f.Add([]byte{0, 0, 0, 0, 9, 1, 1, 'x', 18, 0})
	f.Add(bytes.Repeat([]byte{9, 0, 39}, 20))

	f.Fuzz(func(t *testing.T, data []byte) {
		// The same packets on the Go heap, and off it from the 17th byte of
		// a stream (a page each: a budget of two streams' pages).
		fuzzAssembly(t, data, fuzzLimits, offHeapMin)
		if offheap.Supported {
			fuzzAssembly(t, data, Limits{MaxPayloadBytes: 64, MaxStreamsPerSender: 2,
				MaxBufferedBytes: 2*int64(offheap.PageSize) + 40}, 16)
		}
	})
}

// fuzzAssembly feeds the packets data describes to a fresh Assembler and
// checks its invariants after every step: one terminal event per opened
// stream, payloads and buffers within the limits, the buffered accounting
// equal to what the streams hold, one live mapping per mapped stream, and
// nothing held once every sender has left and the assembler is closed.
func fuzzAssembly(t *testing.T, data []byte, lim Limits, heapMax int) {
	mappings := offheap.Mappings()
	a := NewAssembler(lim, func(_ string, h *livekit.DataStream_Header) bool { return h.Topic != "reject" })
	a.offHeapMin = heapMax
	open := map[streamKey]bool{}
	opened, ended := 0, 0
	check := func(evs []Event) {
		for _, e := range evs {
			if e.Header == nil {
				t.Fatalf("event without header: %+v", e)
			}
			k := streamKey{e.Sender, e.Header.StreamId}
			switch e.Kind {
			case Opened:
				if open[k] {
					t.Fatalf("%v opened twice", k)
				}
				open[k] = true
				opened++
			case Completed, Failed:
				if !open[k] {
					t.Fatalf("%v ended (%v) without being open", k, e.Kind)
				}
				delete(open, k)
				ended++
				if int64(len(e.Text)) > lim.MaxPayloadBytes {
					t.Fatalf("payload of %d bytes over the limit", len(e.Text))
				}
				if (e.Kind == Failed) != (e.Err != nil) {
					t.Fatalf("%v with error %v", e.Kind, e.Err)
				}
			default:
				t.Fatalf("unknown event kind %d", e.Kind)
			}
		}
		if a.Open() != len(open) {
			t.Fatalf("Open() = %d, events say %d", a.Open(), len(open))
		}
		if a.buffered > lim.MaxBufferedBytes || a.buffered < 0 {
			t.Fatalf("buffered %d", a.buffered)
		}
		var held int64
		mapped := 0
		for _, st := range a.streams {
			if int64(st.content.len()) > lim.MaxPayloadBytes {
				t.Fatalf("stream holds %d bytes, over the limit", st.content.len())
			}
			if c := st.content.mapped.Cap(); c > 0 {
				mapped++
				if c > offheap.Round(int(lim.MaxPayloadBytes)) {
					t.Fatalf("stream maps %d bytes for a %d-byte limit", c, lim.MaxPayloadBytes)
				}
			}
			held += st.content.charged()
		}
		if held != a.buffered {
			t.Fatalf("streams hold %d bytes, buffered says %d", held, a.buffered)
		}
		if live := offheap.Mappings() - mappings; live != mapped {
			t.Fatalf("%d live mappings, %d streams mapped", live, mapped)
		}
	}
	in := &fuzzBytes{data}
	for in.more() {
		check(fuzzStep(in, a))
	}
	for _, s := range []string{"", "s", "t"} {
		check(a.SenderLeft(s))
	}
	if a.Open() != 0 || opened != ended || a.buffered != 0 || len(a.perSender) != 0 {
		t.Fatalf("after everyone left: open %d, opened %d, ended %d, buffered %d", a.Open(), opened, ended, a.buffered)
	}
	check(a.Close())
}

func FuzzInflate(f *testing.F) {
	const limit = 1024
	f.Add(fuzzDeflated)
	f.Add(deflated(f, make([]byte, 1<<20), flate.BestCompression)) // a bomb
	f.Add(deflated(f, bytes.Repeat([]byte("x"), limit), flate.HuffmanOnly))
	f.Add(deflated(f, nil, flate.NoCompression))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x00, 0x13})
	f.Add(fuzzDeflated[:len(fuzzDeflated)-3])

	f.Fuzz(func(t *testing.T, data []byte) {
		c := content{offHeapMin: offHeapMin}
		defer c.release()
		err := inflateWhole(&c, data, limit)
		out, _ := c.bytes()
		if len(out) > limit {
			t.Fatalf("inflated %d bytes past the %d cap", len(out), limit)
		}
		// Compare with an uncapped reference inflater, read a little past the cap.
		ref, refErr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), limit+1))
		switch {
		case err == errTooLong:
			if len(ref) <= limit {
				t.Fatalf("too long, yet the reference gives %d bytes", len(ref))
			}
		case err == nil:
			if refErr != nil || !bytes.Equal(out, ref) {
				t.Fatalf("inflate gave %d bytes, reference %d bytes (%v)", len(out), len(ref), refErr)
			}
		}

		// The same bytes as a compressed stream end in exactly one event,
		// and the same one however they are cut into chunks.
		var first Event
		for _, cuts := range [][]int{nil, {len(data) / 3}, {1, len(data) / 2, len(data) - 1}} {
			a := NewAssembler(Limits{MaxPayloadBytes: limit}, nil)
			pkts := []*livekit.DataPacket{header("s", "1", nil, livekit.DataStream_DEFLATE_RAW)}
			prev := 0
			for i, cut := range append(cuts, len(data)) {
				cut = max(prev, min(cut, len(data)))
				pkts = append(pkts, chunk("s", "1", uint64(i), data[prev:cut]))
				prev = cut
			}
			evs := feed(a, append(pkts, trailer("s", "1", ""))...)
			if len(evs) != 2 || evs[1].Kind == Opened || len(evs[1].Text) > limit || a.Open() != 0 || a.buffered != 0 {
				t.Fatalf("cut at %v: events %s, open %d, buffered %d", cuts, kinds(evs), a.Open(), a.buffered)
			}
			if cuts == nil {
				first = evs[1]
			} else if evs[1].Kind != first.Kind || evs[1].Text != first.Text {
				// Failures may differ in cause: a cut may show corrupt
				// data before the compressed bytes pass the limit.
				t.Fatalf("cut at %v: %s %v, whole: %s %v", cuts, evs[1].Kind, evs[1].Err, first.Kind, first.Err)
			}
		}
	})
}
