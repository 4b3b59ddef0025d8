package datastream

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"
)

// pullAll pulls every packet of an EncodeOwned stream, calling at after
// each one.
func pullAll(t *testing.T, ps *Packets, at func(i int, pkt *livekit.DataPacket)) []*livekit.DataPacket {
	t.Helper()
	var pkts []*livekit.DataPacket
	for pkt := ps.Next(); pkt != nil; pkt = ps.Next() {
		if at != nil {
			at(len(pkts), pkt)
		}
		pkts = append(pkts, pkt)
	}
	if err := ps.Err(); err != nil {
		t.Fatalf("Packets.Err: %v", err)
	}
	return pkts
}

// A large compressible payload is compressed as its packets are pulled:
// the header leaves with only the first part compressed, the compressed
// size is unknown until the text is all compressed, and the packets are
// one raw DEFLATE stream that inflates to the text, through a reference
// inflater and the Assembler.
func TestEncodeOwnedCompressesAsSent(t *testing.T) {
	text := jsonText(1<<20, 21)
	ps, info, err := EncodeOwned(outgoing(text), SendOptions{Inline: true, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Compressed || info.Packets != -1 || info.WireBytes != -1 {
		t.Fatalf("info before sending %+v, want compressed with sizes unknown", info)
	}
	if left := len(ps.p.first.text); left != len(text)-decideBytes {
		t.Fatalf("%d bytes compressed before the header, want %d", len(text)-left, decideBytes)
	}
	var compressed []byte
	var sizes []int // Info().WireBytes after each packet
	pkts := pullAll(t, &ps, func(i int, pkt *livekit.DataPacket) {
		if i == 0 && pkt.GetStreamHeader().GetCompression() != livekit.DataStream_DEFLATE_RAW {
			t.Fatal("header without DEFLATE_RAW")
		}
		if c := pkt.GetStreamChunk(); c != nil {
			if len(c.Content) > MaxChunkBytes {
				t.Fatalf("chunk of %d bytes", len(c.Content))
			}
			compressed = append(compressed, c.Content...)
		}
		sizes = append(sizes, ps.Info().WireBytes)
	})
	// Unknown, then known and exact for good.
	for i, n := range sizes {
		if (n != -1 && n != len(compressed)) || (i > 0 && sizes[i-1] != -1 && n == -1) {
			t.Fatalf("compressed size as the packets went: %v; it is %d", sizes, len(compressed))
		}
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil || string(got) != text {
		t.Fatalf("reference inflate: %v (equal %v)", err, string(got) == text)
	}
	if final := ps.Info(); final.Packets != len(pkts) || final.WireBytes != len(compressed) || !final.Compressed {
		t.Fatalf("final info %+v; %d packets, %d compressed bytes", final, len(pkts), len(compressed))
	}
	if len(compressed) > len(text)/3 {
		t.Fatalf("%d bytes of JSON compressed to %d", len(text), len(compressed))
	}
	evs := feedAll(t, NewAssembler(Limits{}, nil), "alice", pkts)
	if len(evs) != 2 || evs[1].Kind != Completed || evs[1].Text != text {
		t.Fatalf("reassembled: %s", kinds(evs))
	}
}

// A payload whose first part does not save a tenth goes plain, with its
// sizes known at once; below StreamCompressMin the whole is compressed
// first, as Encode does.
func TestEncodeOwnedDecidesOnTheFirstPart(t *testing.T) {
	opts := SendOptions{Inline: true, Compress: true}
	random := bigText(StreamCompressMin)
	ps, info, err := EncodeOwned(outgoing(random), opts)
	if err != nil || info.Compressed || info.Packets < 3 || info.WireBytes != len(random) {
		t.Fatalf("near-random text: %+v, %v", info, err)
	}
	if pkts := pullAll(t, &ps, nil); len(pkts) != info.Packets || ps.Info() != info {
		t.Fatalf("%d packets, info %+v then %+v", len(pkts), info, ps.Info())
	}

	small := utf8Prefix(jsonText(StreamCompressMin, 3), StreamCompressMin-1)
	ps, info, err = EncodeOwned(outgoing(small), opts)
	_, want := encodeAll(t, outgoing(small), opts)
	if err != nil || info != want || !info.Compressed || info.Packets < 3 {
		t.Fatalf("below StreamCompressMin: %+v, %v; Encode says %+v", info, err, want)
	}
	if pkts := pullAll(t, &ps, nil); len(pkts) != info.Packets {
		t.Fatalf("%d packets, info %+v", len(pkts), info)
	}
}

// A stream abandoned part way (Close) stops its compressor: no goroutine
// is left behind, and no more chunks come.
func TestEncodeOwnedCloseStopsCompressing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ps, _, err := EncodeOwned(outgoing(jsonText(8<<20, 2)), SendOptions{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the header and two chunks
		if ps.Next() == nil {
			t.Fatal("stream ended early")
		}
	}
	ps.Close()
	ps.Close()
	<-ps.d.ended
	if ps.d.total() != -1 {
		t.Fatal("the compressor went on to the end after Close")
	}
	if ps.Next() == nil || ps.Err() == nil {
		t.Fatalf("after Close: want an aborting trailer and Err, got Err %v", ps.Err())
	}
	// A stream never pulled has no compressor running at all.
	if _, _, err := EncodeOwned(outgoing(jsonText(1<<20, 3)), SendOptions{Compress: true}); err != nil {
		t.Fatal(err)
	}
}

// A large payload so repetitive that it may fit one packet is compressed
// first, and goes inline.
func TestEncodeOwnedInlinesARepetitiveLargePayload(t *testing.T) {
	text := strings.Repeat("All work and no play makes Jack a dull boy. ", (1<<20)/44)
	ps, info, err := EncodeOwned(outgoing(text), SendOptions{Inline: true, Compress: true})
	if err != nil || !info.Inline || !info.Compressed || info.Packets != 1 {
		t.Fatalf("%d bytes: %+v, %v; want one compressed packet", len(text), info, err)
	}
	if pkts := pullAll(t, &ps, nil); len(pkts) != 1 {
		t.Fatalf("%d packets", len(pkts))
	}
}
