package datastream

import (
	"compress/flate"
	"fmt"
)

// Defaults of SendOptions.
const (
	// DefaultCompressMin is the smallest payload Encode tries to compress:
	// below it the raw DEFLATE block overhead and the receiver's inflate
	// cost outweigh what a few bytes of savings buy.
	DefaultCompressMin = 256
	// DefaultLevel is the compress/flate level used when SendOptions.Level
	// is 0. BestSpeed: on 1 MiB of typical JSON (BenchmarkDeflateLevels)
	// it compressed about 3× faster than DefaultCompression (≈ 70 vs
	// 25 MB/s) to 33 % of the input instead of 27 %; at data channel
	// speeds the CPU time matters more than the extra 6 %.
	DefaultLevel = flate.BestSpeed
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
	Level       int  // compress/flate level (-2…9); 0 = DefaultLevel
	ChunkBytes  int  // chunk content size; 0 or > MaxChunkBytes = MaxChunkBytes; at least MinChunkBytes
}

// settings are SendOptions with defaults applied and ranges checked.
type settings struct {
	inline, compress bool
	compressMin      int
	level            int
	chunkBytes       int
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
	case s.level == 0:
		s.level = DefaultLevel
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
