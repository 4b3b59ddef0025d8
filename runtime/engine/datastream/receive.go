package datastream

import (
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
		compressed := h.Compression == livekit.DataStream_DEFLATE_RAW
		info := Info{Inline: true, Compressed: compressed, Packets: 1, WireBytes: len(h.InlineContent)}
		return append(events, a.complete(sender, h, compressed, h.InlineContent, false, info))
	}
	if a.perSender[sender] >= a.lim.MaxStreamsPerSender {
		return append(events, failedEvent(sender, h, failure(h.StreamId, ErrTooManyStreams,
			"sender %q already has %d streams open", sender, a.lim.MaxStreamsPerSender)))
	}
	a.opened++
	st := &stream{
		key:        key,
		header:     h,
		order:      a.opened,
		compressed: h.Compression == livekit.DataStream_DEFLATE_RAW,
		content:    content{offHeapMin: a.offHeapMin},
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
	held := int64(st.content.len()) + int64(len(c.Content))
	switch {
	case !st.compressed && st.header.TotalLength != nil && held > int64(*st.header.TotalLength):
		return []Event{a.fail(st, failure(c.StreamId, ErrLength, "%d bytes received, more than total_length %d", held, *st.header.TotalLength))}
	case held > a.lim.MaxPayloadBytes:
		return []Event{a.fail(st, failure(c.StreamId, ErrTooLarge, "%d bytes received, more than the limit of %d", held, a.lim.MaxPayloadBytes))}
	}
	// The most the stream may ever hold, which bounds its buffer's growth.
	ceiling := a.lim.MaxPayloadBytes
	if !st.compressed && st.header.TotalLength != nil {
		ceiling = int64(*st.header.TotalLength)
	}
	before := st.content.charged()
	switch err := st.content.add(c.Content, a.lim.MaxBufferedBytes-(a.buffered-before), ceiling); {
	case err == errBudget:
		return []Event{a.fail(st, failure(c.StreamId, ErrTooLarge, "open streams would buffer more than %d bytes", a.lim.MaxBufferedBytes))}
	case err != nil:
		return []Event{a.fail(st, failure(c.StreamId, ErrTooLarge, "cannot buffer %d bytes: %v", held, err))}
	}
	a.buffered += st.content.charged() - before
	st.next++
	return nil
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
	info := Info{Compressed: st.compressed, Packets: int(st.next) + 2, WireBytes: st.content.len()}
	b, owned := st.content.bytes()
	ev := a.complete(sender, st.header, st.compressed, b, owned, info)
	a.forget(st) // after complete, which copies off-heap bytes it keeps
	return []Event{ev}
}

// complete turns a stream's received content into its Completed (or
// Failed) event. owned says content is fresh Go memory that may become the
// payload; otherwise (inline content, an off-heap buffer) the payload is a
// copy, and the event holds no pointer into content.
func (a *Assembler) complete(sender string, h *livekit.DataStream_Header, compressed bool, content []byte, owned bool, info Info) Event {
	text := content
	if compressed {
		limit, expect := a.lim.MaxPayloadBytes, int64(0)
		if h.TotalLength != nil {
			// At most MaxPayloadBytes: checked at header time.
			limit, expect = int64(*h.TotalLength), int64(*h.TotalLength)
		}
		out, tooLong, err := inflate(content, limit, expect)
		switch {
		case err != nil:
			return failedEvent(sender, h, failure(h.StreamId, ErrCorrupt, "inflate: %v", err))
		case tooLong && h.TotalLength != nil:
			return failedEvent(sender, h, failure(h.StreamId, ErrLength, "inflates to more than total_length %d", limit))
		case tooLong:
			return failedEvent(sender, h, failure(h.StreamId, ErrTooLarge, "inflates to more than the limit of %d bytes", limit))
		}
		text, owned = out, true
	}
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
