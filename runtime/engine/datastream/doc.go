// Package datastream turns one text payload into the DataPackets of one
// LiveKit text data stream, and reassembles incoming stream packets into
// payloads (PROTOCOL.md §3.2, §3.4 and §4).
//
// It knows nothing of RPC: the caller supplies topics and attributes when
// sending, and decides which incoming streams it wants through the accept
// function of an Assembler.
//
// # Sending
//
// Encode validates an Outgoing stream and decides its shape:
//
//   - inline (one header packet with inline_content, no chunks, no trailer)
//     when SendOptions.Inline is set and the serialized header packet,
//     destinations included, is at most MaxHeaderBytes;
//   - chunked otherwise: header, chunks 0,1,2… of at most ChunkBytes, and a
//     trailer with an empty reason. Plain text is cut only at UTF-8
//     code-point boundaries so every chunk is valid UTF-8 on its own.
//
// Compression (raw DEFLATE, RFC 1951, written by
// github.com/klauspost/compress/flate, 1.3–2× compress/flate's speed at the
// levels used, and read by compress/flate, which refuses data cut short
// where klauspost's inflater does not) is tried only when
// SendOptions.Compress is set and the payload is at least CompressMin bytes
// long (default DefaultCompressMin). The compressed form is used when it
// saves at least a tenth of the bytes (MinSavingsDivisor); an inline header
// uses it when it saves as much, or when only the compressed form fits one
// packet, since a packet saved matters more than the ratio. Compression gives up early,
// without finishing, as soon as the output grows past the size that could
// still qualify, so incompressible payloads cost little. EncodeOwned
// compresses a payload of StreamCompressMin or more while it is sent
// (deflater.go): its first 32 KiB decide, the rest is compressed beside
// the sending.
//
// # Receiving
//
// An Assembler is fed every stream packet in arrival order. For each header
// the accept function admits, it reports exactly one Opened event followed,
// sooner or later, by exactly one terminal event (Completed or Failed); an
// inline stream, or a header that fails at once, yields both in the same
// slice. Packets of streams it does not know (never admitted, already
// finished or failed) are ignored.
//
// Limits (see Limits): a reassembled payload is at most MaxPayloadBytes
// (default 64 MiB), checked while chunks arrive, so nothing is buffered
// past it; a sender has at most MaxStreamsPerSender streams open (default
// 32); all open streams together buffer at most MaxBufferedBytes (default
// 256 MiB). A compressed stream is inflated as its chunks arrive (the
// chunks are one raw DEFLATE stream), so only its last chunk is left to
// inflate at the trailer, and corrupt data fails the stream at the chunk
// that shows it. Its compressed bytes are capped at MaxPayloadBytes too,
// and inflation stops as soon as the output would pass the declared
// total_length (or MaxPayloadBytes when absent), so a deflate bomb is
// refused without growing memory beyond the limit.
//
// # Memory
//
// An open stream keeps up to 64 KiB on the Go heap, as the chunks came.
// Past that its bytes (moved there once) wait in memory mapped outside the
// Go heap (internal/offheap; Linux), grown as they arrive by an eighth (at
// least 64 KiB, never past total_length), and unmapped the moment the
// stream ends: completed, failed, aborted, refused by a limit, its sender
// gone (SenderLeft) or the Assembler closed (Close). MaxBufferedBytes
// counts what each open stream holds: its payload so far (inflated, when
// it came compressed), as chunks or as its whole mapping. A completed
// payload is copied to the Go heap before the mapping goes, so nothing
// outside the Assembler ever points into one. Off the heap, the bytes of open
// streams neither set the garbage collector's pace (a heap holding them
// may grow to twice their size before a collection) nor wait for one to
// be returned to the system. Where mappings are unsupported every stream
// stays on the heap.
package datastream
