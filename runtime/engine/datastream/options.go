package datastream

import (
	"fmt"

	"github.com/klauspost/compress/flate"
)

// Defaults of SendOptions.
const (
	// DefaultCompressMin is the smallest payload Encode tries to compress:
	// below it the raw DEFLATE block overhead and the receiver's inflate
	// cost outweigh what the bytes saved buy. Measured (bench/rpc row 7,
	// typical JSON through a real server, against the v1 packet that a
	// payload this small otherwise takes, PROTOCOL.md §6): from 1 to 4 KiB
	// a compressed call took 10–40 % longer; from 8 KiB it was faster
	// (0.84–0.88×).
	DefaultCompressMin = 8 << 10
	// DefaultLevel is the flate level (github.com/klauspost/compress/flate,
	// whose levels 1–6 are its own fast encoders) used when
	// SendOptions.Level is 0 for structured payloads of at least
	// DefaultLevelMin bytes (see levelFor). Level 2: on 1 MiB of typical
	// JSON (bench/rpc's) it reaches 4.15× fewer bytes at 130–150 MB/s,
	// where compress/flate's level 2, used before, reached the same 4.15×
	// at 100 MB/s and its BestSpeed 3.8×; klauspost's level 1 reaches
	// 4.0× at 200 MB/s, level 5 4.4× at 120 MB/s.
	DefaultLevel = 2
	// DefaultSmallLevel is the level used when SendOptions.Level is 0 for
	// structured payloads below DefaultLevelMin: resetting a pooled level
	// ≥ 2 writer clears its hash tables (≈ 20 µs), more than compressing a
	// small payload takes at BestSpeed.
	DefaultSmallLevel = flate.BestSpeed
	// NearRandomLevel is the level used when SendOptions.Level is 0 for
	// near-random payloads (base64 of binary data):
	// Huffman coding alone saves what any level does on them (a quarter:
	// 6 bits of every 8), at 320 MB/s where BestSpeed stores them whole
	// (its matching finds nothing, so it gives up on entropy coding too).
	NearRandomLevel = flate.HuffmanOnly
	// DefaultLevelMin is the payload size (bytes) from which DefaultLevel
	// may replace DefaultSmallLevel: StreamCompressMin, from which
	// compression runs beside the sending. Below it the whole payload is
	// compressed before the first packet, so its time is the round trip's:
	// at 100 KiB of typical JSON to a browser (bench/rpc rows 2e/2f, three
	// runs each, alternating) BestSpeed made the round trip 0.67–0.74× the
	// browsers' own (medians 0.70×, 0.73×) where level 2 made it
	// 0.70–0.76× (0.73×, 0.74×).
	DefaultLevelMin = StreamCompressMin
	// MinSavingsDivisor: a chunked stream is sent compressed only when the
	// compressed form saves at least len/MinSavingsDivisor bytes (10 %).
	MinSavingsDivisor = 10
	// MinChunkBytes is the smallest ChunkBytes accepted: a chunk must hold
	// any UTF-8 code point (up to 4 bytes).
	MinChunkBytes = 4
)

// SendOptions says what the recipients accept and how to cut.
type SendOptions struct {
	Inline      bool // every recipient has client protocol >= 2: may send a single header packet with inline_content
	Compress    bool // every recipient also advertises CAP_COMPRESSION_DEFLATE_RAW: may use raw DEFLATE
	CompressMin int  // do not try compression for payloads shorter than this (bytes); 0 = DefaultCompressMin
	Level       int  // compress/flate level (-2…9); 0 = by payload: DefaultLevel or DefaultSmallLevel (see DefaultLevel)
	ChunkBytes  int  // chunk content size; 0 or > MaxChunkBytes = MaxChunkBytes; at least MinChunkBytes
}

// settings are SendOptions with defaults applied and ranges checked.
type settings struct {
	inline, compress bool
	compressMin      int
	level            int
	chunkBytes       int
}

// probeBytes is the prefix of a payload compressed at DefaultSmallLevel to
// choose its level; probeMinRatio is how well it must compress to count as
// structured (JSON and prose reach 3–4×, base64 of random bytes 1.3×). The
// probe gives up as soon as it cannot reach the ratio, and a near-random
// prefix costs BestSpeed almost nothing (it stores what does not match),
// so it costs at most ~0.1 ms.
const (
	probeBytes    = 16 << 10
	probeMinRatio = 2
)

// levelFor is the compression level for text: the configured one, or by
// default NearRandomLevel for near-random payloads, DefaultLevel for large
// structured ones and DefaultSmallLevel for smaller ones. A payload no
// longer than probeBytes is its own probe: when it is structured, whole
// is that probe's output, its compressed form at DefaultSmallLevel.
func (s settings) levelFor(text string) (level int, whole []byte, err error) {
	if s.level != 0 {
		return s.level, nil, nil
	}
	n := min(len(text), probeBytes)
	probe, err := deflate(text[:n], DefaultSmallLevel, n/probeMinRatio)
	switch {
	case err != nil:
		return 0, nil, err
	case probe == nil: // over budget: compresses less than probeMinRatio
		return NearRandomLevel, nil, nil
	case len(text) >= DefaultLevelMin:
		return DefaultLevel, nil, nil
	case n == len(text):
		return DefaultSmallLevel, probe, nil
	default:
		return DefaultSmallLevel, nil, nil
	}
}

func (o SendOptions) resolve() (settings, error) {
	s := settings{
		inline:      o.Inline,
		compress:    o.Compress,
		compressMin: o.CompressMin,
		level:       o.Level,
		chunkBytes:  o.ChunkBytes,
	}
	switch {
	case s.compressMin < 0:
		return s, fmt.Errorf("datastream: negative CompressMin %d", s.compressMin)
	case s.compressMin == 0:
		s.compressMin = DefaultCompressMin
	}
	switch {
	case s.level == 0: // chosen by payload size: levelFor
	case s.level < flate.HuffmanOnly || s.level > flate.BestCompression:
		return s, fmt.Errorf("datastream: compression level %d outside %d…%d", s.level, flate.HuffmanOnly, flate.BestCompression)
	}
	switch {
	case s.chunkBytes == 0 || s.chunkBytes > MaxChunkBytes:
		s.chunkBytes = MaxChunkBytes
	case s.chunkBytes < MinChunkBytes:
		return s, fmt.Errorf("datastream: ChunkBytes %d below %d", s.chunkBytes, MinChunkBytes)
	}
	return s, nil
}
