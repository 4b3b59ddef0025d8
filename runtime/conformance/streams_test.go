package conformance_test

import (
	"bytes"
	"compress/zlib"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// streamOf returns the header, chunks and trailer of the first stream of
// topic sent by sender.
func streamOf(t *testing.T, b *bed, sender, topicName string) (h *livekit.DataStream_Header, chunks []*livekit.DataStream_Chunk, trailer *livekit.DataStream_Trailer) {
	t.Helper()
	for _, d := range b.log.where(from(sender)) {
		switch v := d.Packet.Value.(type) {
		case headerPkt:
			if h == nil && v.StreamHeader.GetTopic() == topicName {
				h = v.StreamHeader
			}
		case chunkPkt:
			if h != nil && v.StreamChunk.GetStreamId() == h.GetStreamId() {
				chunks = append(chunks, v.StreamChunk)
			}
		case trailerPkt:
			if h != nil && v.StreamTrailer.GetStreamId() == h.GetStreamId() {
				trailer = v.StreamTrailer
			}
		}
	}
	if h == nil {
		t.Fatalf("%s sent no %s stream:\n%s", sender, topicName, describe(b.log.all()))
	}
	return h, chunks, trailer
}

// compressible is text that deflates well, like JSON.
func compressible(n int) string {
	var s strings.Builder
	for i := 0; s.Len() < n; i++ {
		s.WriteString(`{"id":` + string(rune('0'+i%10)) + `,"name":"participant","tags":["a","b"]},`)
	}
	return s.String()[:n]
}

// noisy is ASCII text that deflates only a little.
func noisy(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(' ' + r.IntN(95))
	}
	return string(b)
}

// twoPeers is alice (engine, v2) calling bob (engine joined with join),
// who echoes.
func twoPeers(t *testing.T, join []memroom.JoinOption, opts ...engine.Option) (*bed, *engine.Engine) {
	t.Helper()
	return twoPeersAs(t, v2, join, opts...)
}

// twoPeersAs is twoPeers with alice joined with aliceJoin.
func twoPeersAs(t *testing.T, aliceJoin, join []memroom.JoinOption, opts ...engine.Option) (*bed, *engine.Engine) {
	t.Helper()
	b := newBed(t)
	alice := b.engine("alice", aliceJoin, opts...)
	bob := b.engine("bob", join)
	serve(t, bob, "echo", echo)
	return b, alice
}

// §3.2: chunks cut only at code-point boundaries, each valid UTF-8, ≤ 15000 bytes.
func TestStreams_ChunksCutAtCodePointBoundaries(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js219) // decodes each chunk strictly, as 2.19 does
	bob.handle("len", func(r jsRequest) (string, *lkErr) { return r.Payload[:1], nil })
	payload := "a" + strings.Repeat("€", 10000) // 15000 falls inside a "€"
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "len", Payload: payload})
	_, chunks, _ := streamOf(t, b, "alice", jsTopicRequest)
	var joined []byte
	for _, c := range chunks {
		if len(c.GetContent()) > 15000 || !utf8.Valid(c.GetContent()) {
			t.Errorf("chunk %d: %d bytes, valid UTF-8 %v", c.GetChunkIndex(), len(c.GetContent()), utf8.Valid(c.GetContent()))
		}
		joined = append(joined, c.GetContent()...)
	}
	if string(joined) != payload {
		t.Error("chunks do not add up to the payload")
	}
}

// §3.2: chunk indices start at 0 and are contiguous.
func TestStreams_ChunkIndicesContiguousFromZero(t *testing.T) {
	b, alice := twoPeersAs(t, protocol1, protocol1)
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: noisy(100_000)})
	for _, sender := range []string{"alice", "bob"} {
		topicName := map[string]string{"alice": jsTopicRequest, "bob": jsTopicResponse}[sender]
		_, chunks, _ := streamOf(t, b, sender, topicName)
		if len(chunks) < 7 {
			t.Fatalf("%s: %d chunks for 100 kB", sender, len(chunks))
		}
		for i, c := range chunks {
			if c.GetChunkIndex() != uint64(i) {
				t.Fatalf("%s: chunk %d has index %d", sender, i, c.GetChunkIndex())
			}
		}
	}
}

// §3.2: total_length is the exact UTF-8 byte length.
func TestStreams_TotalLengthExact(t *testing.T) {
	b, alice := twoPeersAs(t, protocol1, protocol1)
	payload := strings.Repeat("héllo wörld ", 2000) // more bytes than characters
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
	for sender, topicName := range map[string]string{"alice": jsTopicRequest, "bob": jsTopicResponse} {
		h, _, trailer := streamOf(t, b, sender, topicName)
		if h.TotalLength == nil || h.GetTotalLength() != uint64(len(payload)) {
			t.Errorf("%s: total_length %v, want %d", sender, h.TotalLength, len(payload))
		}
		if trailer == nil || trailer.GetReason() != "" {
			t.Errorf("%s: trailer %v, want one with an empty reason", sender, trailer)
		}
	}
}

// §3.2: an empty payload is a header and a trailer, no chunks; §4: to a
// protocol-2 peer it may instead be a single header packet whose
// inline_content is present and empty (the field has presence).
func TestStreams_EmptyPayloadHeaderAndTrailerOnly(t *testing.T) {
	for name, join := range map[string][]memroom.JoinOption{"protocol 1": protocol1, "protocol 2": v2} {
		t.Run(name, func(t *testing.T) {
			b, alice := twoPeers(t, join)
			r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "", Force: transport.FormStream})
			if r.Payload != "" {
				t.Errorf("payload %q", r.Payload)
			}
			h, chunks, trailer := streamOf(t, b, "alice", jsTopicRequest)
			single := h.InlineContent != nil && len(h.InlineContent) == 0
			if single && name == "protocol 1" {
				t.Error("single-packet stream to a protocol-1 peer")
			}
			if len(chunks) != 0 || (trailer == nil) == !single || h.TotalLength == nil || h.GetTotalLength() != 0 {
				t.Errorf("%d chunks, trailer %v, single packet %v, total_length %v", len(chunks), trailer, single, h.TotalLength)
			}
		})
	}
}

// §3.2: a header packet over 15000 bytes is never sent.
func TestStreams_HeaderPacketOver15000NotSent(t *testing.T) {
	b, alice := twoPeers(t, v2)
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: strings.Repeat("m", 15001), Payload: "x"})
	if _, ok := rpcerr.From(err); !ok {
		t.Fatalf("error %v, want an RPC error", err)
	}
	if n := len(b.log.all()); n != 0 {
		t.Errorf("%d packets routed:\n%s", n, describe(b.log.all()))
	}
}

// §4: single packet when the whole header packet fits 15000 bytes...
func TestStreams_InlineWhenHeaderFits(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		// Without deflate §6 would send a packet: the call forces a stream.
		b, alice := twoPeers(t, noDeflate)
		payload := noisy(10_000)
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload, Force: transport.FormInline})
		if r.Request.Form != transport.FormInline || r.Request.Compressed {
			t.Errorf("request %v, want a plain single packet", r.Request)
		}
		noChunksNorTrailers(t, b)
		h, _, _ := streamOf(t, b, "alice", jsTopicRequest)
		if string(h.GetInlineContent()) != payload || h.GetTotalLength() != uint64(len(payload)) {
			t.Errorf("inline content %d bytes, total_length %v", len(h.GetInlineContent()), h.TotalLength)
		}
	})
	t.Run("deflated", func(t *testing.T) {
		// Worth compressing: a stream each way, each one packet.
		b, alice := twoPeers(t, v2)
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: compressible(14_000)})
		if r.Request.Form != transport.FormInline || r.Response.Form != transport.FormInline {
			t.Errorf("request %v response %v, want single packets", r.Request, r.Response)
		}
		noChunksNorTrailers(t, b)
	})
}

// noChunksNorTrailers fails t for a chunk or trailer on the wire, or a
// header packet over 15000 bytes.
func noChunksNorTrailers(t *testing.T, b *bed) {
	t.Helper()
	for _, d := range b.log.all() {
		if kind[chunkPkt](d) || kind[trailerPkt](d) {
			t.Errorf("%s sent by %s", summary(d.Packet), d.From)
		}
		if kind[headerPkt](d) && proto.Size(d.Packet) > 15000 {
			t.Errorf("header packet of %d bytes", proto.Size(d.Packet))
		}
	}
}

// ...and chunks when it does not.
func TestStreams_ChunkedWhenHeaderDoesNotFit(t *testing.T) {
	b, alice := twoPeers(t, noDeflate)
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: noisy(14_990), Force: transport.FormStream})
	if r.Request.Form != transport.FormStream {
		t.Errorf("request %v, want chunked", r.Request)
	}
	h, chunks, trailer := streamOf(t, b, "alice", jsTopicRequest)
	if h.InlineContent != nil || len(chunks) == 0 || trailer == nil {
		t.Errorf("inline %d bytes, %d chunks, trailer %v", len(h.GetInlineContent()), len(chunks), trailer)
	}
}

// §4: a protocol-1 recipient gets only plain header/chunk/trailer streams.
func TestStreams_OnlyPlainStreamsToProtocol1(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js219) // fails the test on inline or compressed streams
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })
	for _, payload := range []string{"", "small", compressible(200_000)} {
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload, Force: transport.FormStream})
		if r.Request.Form != transport.FormStream || r.Request.Compressed {
			t.Errorf("%d bytes went as %v", len(payload), r.Request)
		}
	}
	for _, d := range b.log.where(kind[headerPkt]) {
		if h := d.Packet.GetStreamHeader(); d.From == "alice" && (len(h.GetInlineContent()) > 0 || h.GetCompression() != livekit.DataStream_NONE) {
			t.Errorf("alice sent %s to a protocol-1 peer", summary(d.Packet))
		}
	}
}

// §4: compression only when the recipient advertises DEFLATE_RAW.
func TestStreams_DeflateOnlyWithCapability(t *testing.T) {
	payload := compressible(200_000)
	for name, tc := range map[string]struct {
		join []memroom.JoinOption
		want bool
	}{"without capability": {noDeflate, false}, "with capability": {v2, true}} {
		t.Run(name, func(t *testing.T) {
			b, alice := twoPeers(t, tc.join)
			r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
			h, _, _ := streamOf(t, b, "alice", jsTopicRequest)
			if got := h.GetCompression() == livekit.DataStream_DEFLATE_RAW; got != tc.want || r.Request.Compressed != tc.want {
				t.Errorf("compressed on the wire %v (reported %v), want %v", got, r.Request.Compressed, tc.want)
			}
			if r.Payload != payload {
				t.Error("payload changed on the way")
			}
		})
	}
}

// §4: raw DEFLATE (RFC 1951), no zlib or gzip wrapper.
func TestStreams_DeflateIsRawRFC1951(t *testing.T) {
	b, alice := twoPeers(t, v2)
	payload := compressible(10_000)
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
	h, _, _ := streamOf(t, b, "alice", jsTopicRequest)
	if h.GetCompression() != livekit.DataStream_DEFLATE_RAW || len(h.GetInlineContent()) == 0 {
		t.Fatalf("want an inline compressed header, got %s", summary(&livekit.DataPacket{Value: &livekit.DataPacket_StreamHeader{StreamHeader: h}}))
	}
	plain, err := jsInflate(h.GetInlineContent())
	if err != nil || string(plain) != payload {
		t.Errorf("raw inflate: %v (match %v)", err, string(plain) == payload)
	}
	if _, err := zlib.NewReader(bytes.NewReader(h.GetInlineContent())); err == nil {
		t.Error("content has a zlib header")
	}
}

// §4: inline, the compressed form is used only if smaller.
func TestStreams_InlineCompressedOnlyIfSmaller(t *testing.T) {
	b, alice := twoPeers(t, v2, engine.WithCompressMin(1))
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "xy"})
	h, _, _ := streamOf(t, b, "alice", jsTopicRequest)
	if r.Request.Compressed || h.GetCompression() != livekit.DataStream_NONE || string(h.GetInlineContent()) != "xy" {
		t.Errorf("2 bytes sent compressed (%v) or not inline", r.Request)
	}
}

// §4: chunked compressed streams cut the compressed bytes into ≤ 15000-byte
// chunks; total_length stays the uncompressed length.
func TestStreams_CompressedChunkedTotalLengthUncompressed(t *testing.T) {
	b, alice := twoPeers(t, v2)
	payload := noisy(1 << 20) // compresses, but far beyond one packet
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
	h, chunks, trailer := streamOf(t, b, "alice", jsTopicRequest)
	if h.GetCompression() != livekit.DataStream_DEFLATE_RAW || trailer == nil || !r.Request.Compressed {
		t.Fatalf("want a chunked compressed stream, got %v", r.Request)
	}
	if h.GetTotalLength() != uint64(len(payload)) {
		t.Errorf("total_length %d, want the uncompressed %d", h.GetTotalLength(), len(payload))
	}
	var wire []byte
	for _, c := range chunks {
		if len(c.GetContent()) > 15000 {
			t.Errorf("chunk of %d bytes", len(c.GetContent()))
		}
		wire = append(wire, c.GetContent()...)
	}
	if len(wire) >= len(payload) {
		t.Errorf("compressed %d bytes to %d", len(payload), len(wire))
	}
	if plain, err := jsInflate(wire); err != nil || string(plain) != payload {
		t.Errorf("inflating the chunks: %v", err)
	}
}

// The requirement: a 1 MiB call on memroom takes a v2 stream,
// compressed when the peer advertises deflate and it pays, both ways.
func TestCall_1MiBTakesCompressedV2Stream(t *testing.T) {
	payload := compressible(1 << 20)
	t.Run("engine to engine", func(t *testing.T) {
		b, alice := twoPeers(t, v2)
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
		if r.Payload != payload {
			t.Fatal("payload changed")
		}
		for sender, topicName := range map[string]string{"alice": jsTopicRequest, "bob": jsTopicResponse} {
			h, _, _ := streamOf(t, b, sender, topicName)
			if h.GetCompression() != livekit.DataStream_DEFLATE_RAW || h.GetTotalLength() != 1<<20 {
				t.Errorf("%s sent %s with total_length %d", sender,
					summary(&livekit.DataPacket{Value: &livekit.DataPacket_StreamHeader{StreamHeader: h}}), h.GetTotalLength())
			}
		}
		if !r.Request.Compressed || !r.Response.Compressed || r.Request.WireBytes >= len(payload)/4 {
			t.Errorf("request %+v response %+v", r.Request, r.Response)
		}
		if n := len(b.log.where(kind[reqPkt])); n != 0 {
			t.Errorf("%d v1 requests", n)
		}
	})
	t.Run("engine to livekit-client 2.23", func(t *testing.T) {
		b := newBed(t)
		alice := b.engine("alice", v2)
		bob := b.jsPeer("bob", js223)
		bob.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
		if r.Payload != payload || !r.Request.Compressed || !r.Response.Compressed {
			t.Errorf("request %v response %v, payload intact %v", r.Request, r.Response, r.Payload == payload)
		}
		_ = b
	})
	t.Run("engine to livekit-client 2.19", func(t *testing.T) {
		b := newBed(t)
		alice := b.engine("alice", v2)
		bob := b.jsPeer("bob", js219)
		bob.handle("echo", func(r jsRequest) (string, *lkErr) { return r.Payload, nil })
		r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
		if r.Payload != payload || r.Request.Form != transport.FormStream || r.Request.Compressed {
			t.Errorf("request %v, payload intact %v", r.Request, r.Payload == payload)
		}
	})
}

// §4: a protocol-2 receiver accepts single-packet and compressed streams.
func TestStreams_HandlerAcceptsInlineAndCompressed(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	alice := b.jsPeer("alice", js223)
	for _, payload := range []string{"tiny", compressible(50_000), compressible(1 << 20), noisy(40_000)} {
		if r := alice.call("bob", "echo", payload, waitLimit); r.Err != nil || r.Payload != payload {
			t.Errorf("%d bytes: err %v, payload intact %v", len(payload), r.Err, r.Payload == payload)
		}
	}
	var inline, compressed int
	for _, d := range b.log.where(and(from("alice"), kind[headerPkt])) {
		h := d.Packet.GetStreamHeader()
		if len(h.GetInlineContent()) > 0 {
			inline++
		}
		if h.GetCompression() == livekit.DataStream_DEFLATE_RAW {
			compressed++
		}
	}
	if inline < 2 || compressed < 2 {
		t.Errorf("the scripted 2.23 sent %d inline and %d compressed streams; the test needs both", inline, compressed)
	}
}
