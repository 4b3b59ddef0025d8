package datastream

import (
	"errors"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
)

// onHeader opens a stream (or completes an inline one).
func (a *Assembler) onHeader(sender string, h *livekit.DataStream_Header) []Event {
	key := streamKey{sender, h.StreamId}
	if open, ok := a.streams[key]; ok {
		// Two streams under one id cannot be told apart: end the open one,
		// and drop the new header rather than guess which chunks are whose.
		return []Event{a.fail(open, failure(h.StreamId, ErrDuplicate, "a second header arrived for open stream %q", h.StreamId))}
	}
	if a.accept != nil && !a.accept(sender, h) {
		return nil
	}
	events := make([]Event, 1, 2) // room for the Completed or Failed that may follow
	events[0] = Event{Kind: Opened, Sender: sender, Header: h}
	if err := a.checkHeader(h); err != nil {
		return append(events, failedEvent(sender, h, err))
	}
	if h.InlineContent != nil {
		return append(events, a.completeInline(sender, h))
	}
	if a.perSender[sender] >= a.lim.MaxStreamsPerSender {
		return append(events, failedEvent(sender, h, failure(h.StreamId, ErrTooManyStreams,
			"sender %q already has %d streams open", sender, a.lim.MaxStreamsPerSender)))
	}
	a.opened++
	st := &stream{
		key:     key,
		header:  h,
		order:   a.opened,
		content: content{offHeapMin: a.offHeapMin},
	}
	if h.Compression == livekit.DataStream_DEFLATE_RAW {
		st.inflate = newInflater(&st.content, a.payloadLimit(h))
	}
	a.streams[key] = st
	a.perSender[sender]++
	return events
}

// checkHeader refuses, at header time, what could never complete.
func (a *Assembler) checkHeader(h *livekit.DataStream_Header) *Error {
	switch {
	case h.StreamId == "":
		return failure(h.StreamId, ErrUnsupported, "empty stream id")
	case h.GetByteHeader() != nil:
		return failure(h.StreamId, ErrUnsupported, "a byte stream, not a text stream")
	case h.Compression != livekit.DataStream_NONE && h.Compression != livekit.DataStream_DEFLATE_RAW:
		return failure(h.StreamId, ErrUnsupported, "unsupported compression %d", int32(h.Compression))
	case h.TotalLength != nil && *h.TotalLength > uint64(a.lim.MaxPayloadBytes):
		return failure(h.StreamId, ErrTooLarge, "total_length %d exceeds the limit of %d bytes", *h.TotalLength, a.lim.MaxPayloadBytes)
	}
	return nil
}

// onChunk appends a chunk's content to its open stream.
func (a *Assembler) onChunk(sender string, c *livekit.DataStream_Chunk) []Event {
	st, ok := a.streams[streamKey{sender, c.StreamId}]
	if !ok {
		return nil
	}
	if c.ChunkIndex != st.next {
		return []Event{a.fail(st, failure(c.StreamId, ErrChunkOrder, "chunk index %d, expected %d", c.ChunkIndex, st.next))}
	}
	if st.inflate != nil {
		return a.onCompressedChunk(st, c)
	}
	held := int64(st.content.len()) + int64(len(c.Content))
	switch {
	case st.header.TotalLength != nil && held > int64(*st.header.TotalLength):
		return []Event{a.fail(st, failure(c.StreamId, ErrLength, "%d bytes received, more than total_length %d", held, *st.header.TotalLength))}
	case held > a.lim.MaxPayloadBytes:
		return []Event{a.fail(st, failure(c.StreamId, ErrTooLarge, "%d bytes received, more than the limit of %d", held, a.lim.MaxPayloadBytes))}
	}
	if err := a.grow(st, func(budget int64) error { return st.content.add(c.Content, budget, a.payloadLimit(st.header)) }); err != nil {
		return []Event{a.fail(st, a.bufferFailure(c.StreamId, err))}
	}
	st.next++
	return nil
}

// grow runs add, which adds to what st holds within the budget it is
// given (what MaxBufferedBytes leaves after the other open streams), and
// keeps the total held by all open streams in step, also when add fails
// part way.
func (a *Assembler) grow(st *stream, add func(budget int64) error) error {
	before := st.content.charged()
	err := add(a.lim.MaxBufferedBytes - (a.buffered - before))
	a.buffered += st.content.charged() - before
	return err
}

// onCompressedChunk inflates a chunk of a compressed stream into its
// content. The compressed bytes are capped by MaxPayloadBytes too.
func (a *Assembler) onCompressedChunk(st *stream, c *livekit.DataStream_Chunk) []Event {
	if wire := st.inflate.wire + int64(len(c.Content)); wire > a.lim.MaxPayloadBytes {
		return []Event{a.fail(st, failure(c.StreamId, ErrTooLarge, "%d compressed bytes received, more than the limit of %d", wire, a.lim.MaxPayloadBytes))}
	}
	if err := a.grow(st, func(budget int64) error { return st.inflate.feed(c.Content, budget) }); err != nil {
		return []Event{a.fail(st, a.inflateFailure(st.header, err))}
	}
	st.next++
	return nil
}

// payloadLimit is the most a stream's payload may be: its total_length
// when announced (at most MaxPayloadBytes: checked at header time), else
// MaxPayloadBytes. It also bounds how far its buffer may grow.
func (a *Assembler) payloadLimit(h *livekit.DataStream_Header) int64 {
	if h.TotalLength != nil {
		return int64(*h.TotalLength)
	}
	return a.lim.MaxPayloadBytes
}

// bufferFailure is why content.add refused bytes.
func (a *Assembler) bufferFailure(id string, err error) *Error {
	if err == errBudget {
		return failure(id, ErrTooLarge, "open streams would buffer more than %d bytes", a.lim.MaxBufferedBytes)
	}
	return failure(id, ErrTooLarge, "cannot buffer the stream: %v", err)
}

// inflateFailure is why inflating a stream's content failed.
func (a *Assembler) inflateFailure(h *livekit.DataStream_Header, err error) *Error {
	var buf bufferError
	switch {
	case err == errTooLong && h.TotalLength != nil:
		return failure(h.StreamId, ErrLength, "inflates to more than total_length %d", *h.TotalLength)
	case err == errTooLong:
		return failure(h.StreamId, ErrTooLarge, "inflates to more than the limit of %d bytes", a.lim.MaxPayloadBytes)
	case errors.As(err, &buf):
		return a.bufferFailure(h.StreamId, buf.err)
	}
	return failure(h.StreamId, ErrCorrupt, "inflate: %v", err)
}

// onTrailer ends an open stream.
func (a *Assembler) onTrailer(sender string, t *livekit.DataStream_Trailer) []Event {
	st, ok := a.streams[streamKey{sender, t.StreamId}]
	if !ok {
		return nil
	}
	if t.Reason != "" {
		return []Event{a.fail(st, failure(t.StreamId, ErrAborted, "aborted: %s", t.Reason))}
	}
	info := Info{Packets: int(st.next) + 2, WireBytes: st.content.len()}
	if st.inflate != nil {
		if err := a.grow(st, st.inflate.finish); err != nil {
			return []Event{a.fail(st, a.inflateFailure(st.header, err))}
		}
		info.Compressed, info.WireBytes = true, int(st.inflate.wire)
	}
	b, owned := st.content.bytes()
	ev := a.complete(sender, st.header, b, owned, info)
	a.forget(st) // after complete, which copies off-heap bytes it keeps
	return []Event{ev}
}

// completeInline turns an inline header into its Completed (or Failed)
// event, inflating its content first when compressed.
func (a *Assembler) completeInline(sender string, h *livekit.DataStream_Header) Event {
	info := Info{Inline: true, Packets: 1, WireBytes: len(h.InlineContent)}
	if h.Compression != livekit.DataStream_DEFLATE_RAW {
		return a.complete(sender, h, h.InlineContent, false, info)
	}
	info.Compressed = true
	c := content{offHeapMin: a.offHeapMin}
	defer c.release()
	if err := inflateWhole(&c, h.InlineContent, a.payloadLimit(h)); err != nil {
		return failedEvent(sender, h, a.inflateFailure(h, err))
	}
	b, owned := c.bytes()
	return a.complete(sender, h, b, owned, info)
}

// complete turns a stream's payload (inflated already when it came
// compressed) into its Completed (or Failed) event. owned says text is
// fresh Go memory that may become the payload; otherwise (inline content,
// an off-heap buffer) the payload is a copy, and the event holds no
// pointer into text.
func (a *Assembler) complete(sender string, h *livekit.DataStream_Header, text []byte, owned bool, info Info) Event {
	switch {
	case h.TotalLength != nil && uint64(len(text)) != *h.TotalLength:
		return failedEvent(sender, h, failure(h.StreamId, ErrLength, "%d bytes, total_length %d", len(text), *h.TotalLength))
	case int64(len(text)) > a.lim.MaxPayloadBytes:
		// Only reachable inline: chunked content was checked on arrival.
		return failedEvent(sender, h, failure(h.StreamId, ErrTooLarge, "%d bytes, more than the limit of %d", len(text), a.lim.MaxPayloadBytes))
	case !utf8.Valid(text):
		return failedEvent(sender, h, failure(h.StreamId, ErrInvalidUTF8, "the payload is not valid UTF-8"))
	}
	if !owned {
		// Inline content belongs to the caller's packet, and off-heap
		// memory is unmapped when the stream is forgotten: copy it rather
		// than alias memory we do not own.
		return Event{Kind: Completed, Sender: sender, Header: h, Text: string(text), Info: info}
	}
	return Event{Kind: Completed, Sender: sender, Header: h, Text: bytesToString(text), Info: info}
}
