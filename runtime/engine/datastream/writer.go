package datastream

import (
	"maps"
	"slices"

	"github.com/livekit/protocol/livekit"
)

// Writer builds the packets of a text stream written piece by piece, whose
// length is not known when it starts (a streaming reply): a header without
// total_length, chunks as pieces come, a trailer. It is never inline and
// never compressed. Not safe for concurrent use.
type Writer struct {
	p    plan
	next uint64 // the next chunk index
}

// NewWriter validates o (its Text is ignored) and returns its writer.
func NewWriter(o Outgoing) (*Writer, error) {
	o.Text = ""
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.Attributes = maps.Clone(o.Attributes)
	o.Destinations = slices.Clone(o.Destinations)
	return &Writer{p: plan{out: o, chunkBytes: MaxChunkBytes}}, nil
}

// Header is the stream's header packet.
func (w *Writer) Header() *livekit.DataPacket {
	pkt := w.p.headerPacket()
	pkt.GetStreamHeader().TotalLength = nil
	return pkt
}

// Chunks are the chunk packets of the next piece of text, cut at most
// MaxChunkBytes apart on UTF-8 boundaries. text must be valid UTF-8.
func (w *Writer) Chunks(text string) []*livekit.DataPacket {
	var out []*livekit.DataPacket
	for off := 0; off < len(text); {
		end := textCut(text, off, w.p.chunkBytes)
		out = append(out, w.p.chunkPacket(w.next, []byte(text[off:end])))
		w.next++
		off = end
	}
	return out
}

// Trailer ends the stream: normally with reason "", or aborted with one.
func (w *Writer) Trailer(reason string) *livekit.DataPacket {
	return trailerPacket(w.p.out.StreamID, w.p.out.Destinations, reason)
}
