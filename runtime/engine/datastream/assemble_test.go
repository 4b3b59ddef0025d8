package datastream

import (
	"bytes"
	"compress/flate"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
)

// Hand-built packets, as a peer (or an attacker) might send them.

func header(sender, id string, total *uint64, compression livekit.DataStream_CompressionType) *livekit.DataPacket {
	return &livekit.DataPacket{ParticipantIdentity: sender, Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
		StreamId: id, Topic: "lk.rpc_request", MimeType: MimeType, TotalLength: total, Compression: compression,
		ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{}},
	}}}
}

func chunk(sender, id string, index uint64, content []byte) *livekit.DataPacket {
	return &livekit.DataPacket{ParticipantIdentity: sender, Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
		StreamId: id, ChunkIndex: index, Content: content,
	}}}
}

func trailer(sender, id, reason string) *livekit.DataPacket {
	return &livekit.DataPacket{ParticipantIdentity: sender, Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{
		StreamId: id, Reason: reason,
	}}}
}

func length(n uint64) *uint64 { return &n }

func feed(a *Assembler, pkts ...*livekit.DataPacket) []Event {
	var evs []Event
	for _, p := range pkts {
		evs = append(evs, a.Feed(p)...)
	}
	return evs
}

// wantFailure asserts evs ends with exactly one Failed event for cause,
// and that the assembler has forgotten the stream.
func wantFailure(t *testing.T, a *Assembler, evs []Event, cause error) *Error {
	t.Helper()
	if len(evs) == 0 || evs[len(evs)-1].Kind != Failed {
		t.Fatalf("events %s, want a final Failed(%v)", kinds(evs), cause)
	}
	for _, e := range evs[:len(evs)-1] {
		if e.Kind != Opened {
			t.Fatalf("events %s: only Opened may precede the failure", kinds(evs))
		}
	}
	last := evs[len(evs)-1]
	var de *Error
	if !errors.As(last.Err, &de) || !errors.Is(last.Err, cause) {
		t.Fatalf("failure %v, want an *Error wrapping %v", last.Err, cause)
	}
	if last.Header == nil || de.StreamID != last.Header.StreamId {
		t.Fatalf("failure carries header %v, error stream %q", last.Header, de.StreamID)
	}
	if a.Open() != 0 {
		t.Fatalf("Open() = %d after the failure", a.Open())
	}
	return de
}

func deflated(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTotalLengthShort(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", length(10), 0), chunk("s", "1", 0, []byte("short")), trailer("s", "1", ""))
	wantFailure(t, a, evs, ErrLength)
}

func TestTotalLengthExceededMidStream(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", length(6), 0), chunk("s", "1", 0, []byte("four")))
	if len(evs) != 1 || a.Open() != 1 {
		t.Fatalf("setup: %s", kinds(evs))
	}
	// Detected at the chunk that crosses the length, not at the trailer.
	wantFailure(t, a, feed(a, chunk("s", "1", 1, []byte("more"))), ErrLength)
	if evs := feed(a, trailer("s", "1", "")); evs != nil {
		t.Fatalf("trailer of a failed stream: %s", kinds(evs))
	}
}

func TestTotalLengthCompressedMismatch(t *testing.T) {
	for _, total := range []uint64{99, 101} {
		a := NewAssembler(Limits{}, nil)
		z := deflated(t, bytes.Repeat([]byte("a"), 100), flate.BestSpeed)
		evs := feed(a, header("s", "1", length(total), livekit.DataStream_DEFLATE_RAW), chunk("s", "1", 0, z), trailer("s", "1", ""))
		wantFailure(t, a, evs, ErrLength)
	}
}

func TestTotalLengthInlineMismatch(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	h := header("s", "1", length(3), 0)
	h.GetStreamHeader().InlineContent = []byte("four")
	wantFailure(t, a, feed(a, h), ErrLength)
}

func TestChunkOrder(t *testing.T) {
	cases := map[string][]uint64{
		"gap":          {0, 2},
		"duplicate":    {0, 0},
		"out of order": {1, 0},
		"not from 0":   {1},
	}
	for name, indices := range cases {
		a := NewAssembler(Limits{}, nil)
		evs := feed(a, header("s", "1", nil, 0))
		for _, i := range indices {
			evs = append(evs, a.Feed(chunk("s", "1", i, []byte("x")))...)
		}
		if de := wantFailure(t, a, evs, ErrChunkOrder); !strings.Contains(de.Reason, "expected") {
			t.Errorf("%s: reason %q", name, de.Reason)
		}
		if evs := feed(a, chunk("s", "1", 5, []byte("x")), trailer("s", "1", "")); evs != nil {
			t.Errorf("%s: packets after the failure produced %s", name, kinds(evs))
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", nil, 0), chunk("s", "1", 0, []byte("ok\xff")), trailer("s", "1", ""))
	wantFailure(t, a, evs, ErrInvalidUTF8)

	h := header("s", "2", nil, livekit.DataStream_DEFLATE_RAW)
	h.GetStreamHeader().InlineContent = deflated(t, []byte("\xc3("), flate.BestSpeed)
	wantFailure(t, a, feed(a, h), ErrInvalidUTF8)
}

// Other senders may cut text anywhere; only the whole payload must be UTF-8.
func TestCodePointSplitAcrossChunksAccepted(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", length(3), 0), chunk("s", "1", 0, []byte("\xc3")), chunk("s", "1", 1, []byte("\xa9!")), trailer("s", "1", ""))
	if len(evs) != 2 || evs[1].Kind != Completed || evs[1].Text != "é!" {
		t.Fatalf("events %s", kinds(evs))
	}
}

func TestPayloadLimit(t *testing.T) {
	lim := Limits{MaxPayloadBytes: 100}
	a := NewAssembler(lim, nil)
	// Announced too large: refused at the header.
	wantFailure(t, a, feed(a, header("s", "1", length(101), 0)), ErrTooLarge)

	// Not announced: refused at the chunk that crosses the limit.
	evs := feed(a, header("s", "2", nil, 0), chunk("s", "2", 0, make([]byte, 60)))
	if len(evs) != 1 || a.Open() != 1 {
		t.Fatalf("setup: %s", kinds(evs))
	}
	if st := a.streams[streamKey{"s", "2"}]; int64(st.content.len()) > lim.MaxPayloadBytes {
		t.Fatalf("stream holds %d bytes, beyond the %d limit", st.content.len(), lim.MaxPayloadBytes)
	}
	wantFailure(t, a, feed(a, chunk("s", "2", 1, make([]byte, 41))), ErrTooLarge)

	// Exactly the limit is fine.
	evs = feed(a, header("s", "3", nil, 0), chunk("s", "3", 0, bytes.Repeat([]byte("y"), 100)), trailer("s", "3", ""))
	if len(evs) != 2 || evs[1].Kind != Completed || len(evs[1].Text) != 100 {
		t.Fatalf("at the limit: %s", kinds(evs))
	}
	// Compressed bytes themselves are capped too.
	evs = feed(a, header("s", "4", nil, livekit.DataStream_DEFLATE_RAW), chunk("s", "4", 0, make([]byte, 101)))
	wantFailure(t, a, evs, ErrTooLarge)
}

func TestBufferedLimitAcrossStreams(t *testing.T) {
	a := NewAssembler(Limits{MaxPayloadBytes: 100, MaxBufferedBytes: 150}, nil)
	evs := feed(a, header("s", "1", nil, 0), header("t", "2", nil, 0),
		chunk("s", "1", 0, make([]byte, 80)), chunk("t", "2", 0, make([]byte, 60)))
	if len(evs) != 2 || a.Open() != 2 {
		t.Fatalf("setup: %s", kinds(evs))
	}
	evs = feed(a, chunk("t", "2", 1, make([]byte, 20)))
	if len(evs) != 1 || !errors.Is(evs[0].Err, ErrTooLarge) || evs[0].Sender != "t" || a.Open() != 1 {
		t.Fatalf("over the shared budget: %s", kinds(evs))
	}
	// The failed stream's bytes are released.
	if evs := feed(a, chunk("s", "1", 1, make([]byte, 20)), trailer("s", "1", "")); len(evs) != 1 || evs[0].Kind != Completed {
		t.Fatalf("after release: %s", kinds(evs))
	}
	if a.buffered != 0 {
		t.Fatalf("buffered = %d with no stream open", a.buffered)
	}
}

// A deflate bomb: 16 MiB of zeros in ~16 KiB, against a 256 KiB limit.
func TestDeflateBombRefusedWithoutMemoryGrowth(t *testing.T) {
	bomb := deflated(t, make([]byte, 16<<20), flate.BestCompression)
	for name, total := range map[string]*uint64{"no total_length": nil, "lying total_length": length(1000)} {
		a := NewAssembler(Limits{MaxPayloadBytes: 256 << 10}, nil)
		pkts := []*livekit.DataPacket{header("s", "1", total, livekit.DataStream_DEFLATE_RAW)}
		for i := 0; i*MaxChunkBytes < len(bomb); i++ {
			pkts = append(pkts, chunk("s", "1", uint64(i), bomb[i*MaxChunkBytes:min(len(bomb), (i+1)*MaxChunkBytes)]))
		}
		pkts = append(pkts, trailer("s", "1", ""))

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		evs := feed(a, pkts...)
		runtime.ReadMemStats(&after)

		cause := ErrTooLarge
		if total != nil {
			cause = ErrLength
		}
		wantFailure(t, a, evs, cause)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%s: allocated %d bytes refusing a bomb against a 256 KiB limit", name, grew)
		}
	}
}

func TestTooManyStreams(t *testing.T) {
	a := NewAssembler(Limits{MaxStreamsPerSender: 2}, nil)
	evs := feed(a, header("s", "1", nil, 0), header("s", "2", nil, 0), header("s", "3", nil, 0))
	if len(evs) != 4 || evs[2].Kind != Opened || evs[3].Kind != Failed || !errors.Is(evs[3].Err, ErrTooManyStreams) {
		t.Fatalf("third stream: %s", kinds(evs))
	}
	if evs[3].Header.StreamId != "3" || a.Open() != 2 {
		t.Fatalf("failed %q, open %d", evs[3].Header.StreamId, a.Open())
	}
	// Another sender has its own allowance; inline streams never count.
	if evs := feed(a, header("t", "1", nil, 0)); len(evs) != 1 || evs[0].Kind != Opened {
		t.Fatalf("other sender: %s", kinds(evs))
	}
	inline := header("s", "4", nil, 0)
	inline.GetStreamHeader().InlineContent = []byte("hi")
	if evs := feed(a, inline); len(evs) != 2 || evs[1].Kind != Completed {
		t.Fatalf("inline at the stream limit: %s", kinds(evs))
	}
	// Finishing one frees a place.
	if evs := feed(a, trailer("s", "1", ""), header("s", "5", nil, 0)); len(evs) != 2 || evs[1].Kind != Opened {
		t.Fatalf("after one finished: %s", kinds(evs))
	}
}

func TestCorruptDeflate(t *testing.T) {
	good := deflated(t, []byte(strings.Repeat("hello ", 100)), flate.BestSpeed)
	cases := map[string][]byte{
		"garbage":        {0xff, 0xff, 0xff, 0xff},
		"truncated":      good[:len(good)/2],
		"empty":          {},
		"trailing bytes": append(append([]byte{}, good...), 0x00, 0x01),
		"zlib wrapper":   append([]byte{0x78, 0x9c}, good...),
		"no final block": []byte("Z0Z0"), // a fixed-Huffman block cut short: one literal, no end
	}
	for name, data := range cases {
		a := NewAssembler(Limits{}, nil)
		evs := feed(a, header("s", "1", nil, livekit.DataStream_DEFLATE_RAW), chunk("s", "1", 0, data), trailer("s", "1", ""))
		if len(evs) != 2 || !errors.Is(evs[1].Err, ErrCorrupt) {
			t.Errorf("%s: %s, want Failed(corrupt)", name, kinds(evs))
		}
	}
}

func TestInflatesOtherDeflaterLevels(t *testing.T) {
	text := jsonText(200<<10, 11)
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		z := deflated(t, []byte(text), level)
		a := NewAssembler(Limits{}, nil)
		pkts := []*livekit.DataPacket{header("s", "1", length(uint64(len(text))), livekit.DataStream_DEFLATE_RAW)}
		for i := 0; i*7000 < len(z); i++ { // cut at odd places
			pkts = append(pkts, chunk("s", "1", uint64(i), z[i*7000:min(len(z), (i+1)*7000)]))
		}
		pkts = append(pkts, trailer("s", "1", ""))
		evs := feed(a, pkts...)
		if len(evs) != 2 || evs[1].Kind != Completed || evs[1].Text != text || !evs[1].Info.Compressed {
			t.Fatalf("level %d: %s", level, kinds(evs))
		}
	}
}

func TestAbortedStream(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	abort := Abort("1", nil, "cancelled")
	abort.ParticipantIdentity = "s"
	evs := feed(a, header("s", "1", nil, 0), chunk("s", "1", 0, []byte("part")), abort)
	if de := wantFailure(t, a, evs, ErrAborted); de.Reason != "aborted: cancelled" {
		t.Fatalf("reason %q", de.Reason)
	}
}

func TestUnsupportedHeaders(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	wantFailure(t, a, feed(a, header("s", "1", nil, livekit.DataStream_CompressionType(7))), ErrUnsupported)

	bytesHeader := header("s", "2", nil, 0)
	bytesHeader.GetStreamHeader().ContentHeader = &livekit.DataStream_Header_ByteHeader{ByteHeader: &livekit.DataStream_ByteHeader{Name: "f"}}
	wantFailure(t, a, feed(a, bytesHeader), ErrUnsupported)

	wantFailure(t, a, feed(a, header("s", "", nil, 0)), ErrUnsupported)
}

func TestDuplicateHeader(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "1", nil, 0), chunk("s", "1", 0, []byte("a")), header("s", "1", nil, 0))
	wantFailure(t, a, evs, ErrDuplicate)
	if evs := feed(a, chunk("s", "1", 1, []byte("b")), trailer("s", "1", "")); evs != nil {
		t.Fatalf("packets after the duplicate: %s", kinds(evs))
	}
	// A finished id may be used again.
	evs = feed(a, header("s", "1", nil, 0), trailer("s", "1", ""))
	if len(evs) != 2 || evs[1].Kind != Completed {
		t.Fatalf("reuse after the end: %s", kinds(evs))
	}
}

func TestSenderLeft(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	feed(a, header("s", "b", nil, 0), header("t", "x", nil, 0), header("s", "a", nil, 0), chunk("s", "a", 0, []byte("z")))
	evs := a.SenderLeft("s")
	if len(evs) != 2 || evs[0].Header.StreamId != "b" || evs[1].Header.StreamId != "a" {
		t.Fatalf("SenderLeft events %s, want both of s's streams in opening order", kinds(evs))
	}
	for _, e := range evs {
		if e.Kind != Failed || !errors.Is(e.Err, ErrSenderLeft) || e.Sender != "s" {
			t.Fatalf("event %+v", e)
		}
	}
	if a.Open() != 1 || a.buffered != 0 || a.perSender["s"] != 0 {
		t.Fatalf("after SenderLeft: open %d buffered %d perSender %v", a.Open(), a.buffered, a.perSender)
	}
	if evs := a.SenderLeft("s"); len(evs) != 0 {
		t.Fatalf("second SenderLeft: %s", kinds(evs))
	}
	if evs := feed(a, trailer("s", "a", "")); evs != nil {
		t.Fatalf("trailer after the sender left: %s", kinds(evs))
	}
}

func TestAcceptFilters(t *testing.T) {
	var seen []string
	a := NewAssembler(Limits{}, func(sender string, h *livekit.DataStream_Header) bool {
		seen = append(seen, sender+"/"+h.Topic)
		return h.Topic == "lk.rpc_request"
	})
	other := header("s", "1", nil, 0)
	other.GetStreamHeader().Topic = "chat"
	if evs := feed(a, other, chunk("s", "1", 0, []byte("hi")), trailer("s", "1", "")); evs != nil {
		t.Fatalf("rejected stream produced %s", kinds(evs))
	}
	if a.Open() != 0 || len(seen) != 1 || seen[0] != "s/chat" {
		t.Fatalf("open %d, accept saw %v", a.Open(), seen)
	}
	if evs := feed(a, header("s", "2", nil, 0)); len(evs) != 1 || evs[0].Kind != Opened {
		t.Fatalf("accepted: %s", kinds(evs))
	}
}

func TestStreamsKeyedBySender(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a,
		header("s", "1", nil, 0), header("t", "1", nil, 0), header("", "1", nil, 0),
		chunk("s", "1", 0, []byte("from s")), chunk("t", "1", 0, []byte("from t")), chunk("", "1", 0, []byte("from nobody")),
		trailer("t", "1", ""), trailer("s", "1", ""), trailer("", "1", ""))
	var texts []string
	for _, e := range evs {
		if e.Kind == Completed {
			texts = append(texts, e.Sender+":"+e.Text)
		}
	}
	if strings.Join(texts, "|") != "t:from t|s:from s|:from nobody" {
		t.Fatalf("completed %v", texts)
	}
}

func TestChunksOfUnknownStreamsIgnored(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	if evs := feed(a, chunk("s", "nope", 0, []byte("x")), trailer("s", "nope", "")); evs != nil {
		t.Fatalf("unknown stream: %s", kinds(evs))
	}
	ack := &livekit.DataPacket{Value: &livekit.DataPacket_RpcAck{RpcAck: &livekit.RpcAck{RequestId: "r"}}}
	if evs := feed(a, ack, &livekit.DataPacket{}, &livekit.DataPacket{Value: &livekit.DataPacket_StreamHeader{}}); evs != nil {
		t.Fatalf("non-stream packets: %s", kinds(evs))
	}
}

func TestInlineOverLimit(t *testing.T) {
	a := NewAssembler(Limits{MaxPayloadBytes: 10}, nil)
	plain := header("s", "1", nil, 0)
	plain.GetStreamHeader().InlineContent = []byte("eleven byte")
	wantFailure(t, a, feed(a, plain), ErrTooLarge)

	packed := header("s", "2", nil, livekit.DataStream_DEFLATE_RAW)
	packed.GetStreamHeader().InlineContent = deflated(t, make([]byte, 1000), flate.BestSpeed)
	wantFailure(t, a, feed(a, packed), ErrTooLarge)
}

func TestErrorText(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	evs := feed(a, header("s", "abc", nil, 0), trailer("s", "abc", "user cancelled"))
	if got := evs[1].Err.Error(); got != "data stream abc: aborted: user cancelled" {
		t.Fatalf("Error() = %q", got)
	}
	if s := Opened.String() + Completed.String() + Failed.String() + EventKind(0).String(); s != "OpenedCompletedFailedEventKind(0)" {
		t.Fatalf("EventKind strings: %q", s)
	}
}

// A tiny compressed stream claiming the largest allowed size must not make
// the receiver allocate that size.
func TestClaimedLengthDoesNotAllocate(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	z := deflated(t, []byte("tiny"), flate.BestSpeed)
	pkts := []*livekit.DataPacket{header("s", "1", length(DefaultMaxPayloadBytes), livekit.DataStream_DEFLATE_RAW), chunk("s", "1", 0, z), trailer("s", "1", "")}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	evs := feed(a, pkts...)
	runtime.ReadMemStats(&after)
	wantFailure(t, a, evs, ErrLength)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte stream", grew, len(z))
	}
}
