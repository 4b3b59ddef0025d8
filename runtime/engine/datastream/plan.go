package datastream

import (
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// plan is one encoded stream: what Encode decided, from which the packets
// are built on demand.
type plan struct {
	out        Outgoing // attributes and destinations already copied
	chunkBytes int

	inline        bool
	inlineContent []byte // when inline (compressed or not)
	compressed    []byte // the whole compressed payload; nil when plain
}

// tryInline makes the plan inline with content if the header packet then
// fits MaxHeaderBytes.
func (p *plan) tryInline(content []byte, compressed bool) bool {
	pkt := p.headerPacket()
	h := pkt.GetStreamHeader()
	h.InlineContent = content
	if compressed {
		h.Compression = livekit.DataStream_DEFLATE_RAW
	}
	if proto.Size(pkt) > MaxHeaderBytes {
		return false
	}
	p.inline = true
	p.inlineContent = content
	if compressed {
		p.compressed = content
	}
	return true
}

func (p *plan) info() Info {
	if p.inline {
		return Info{Inline: true, Compressed: p.compressed != nil, Packets: 1, WireBytes: len(p.inlineContent)}
	}
	if p.compressed != nil {
		n := (len(p.compressed) + p.chunkBytes - 1) / p.chunkBytes
		return Info{Compressed: true, Packets: n + 2, WireBytes: len(p.compressed)}
	}
	n := 0
	for off := 0; off < len(p.out.Text); n++ {
		off = textCut(p.out.Text, off, p.chunkBytes)
	}
	return Info{Packets: n + 2, WireBytes: len(p.out.Text)}
}

// packets yields the stream's packets in send order.
func (p *plan) packets(yield func(*livekit.DataPacket) bool) {
	hdr := p.headerPacket()
	if p.inline {
		h := hdr.GetStreamHeader()
		h.InlineContent = p.inlineContent
		if p.compressed != nil {
			h.Compression = livekit.DataStream_DEFLATE_RAW
		}
		yield(hdr)
		return
	}
	if p.compressed != nil {
		hdr.GetStreamHeader().Compression = livekit.DataStream_DEFLATE_RAW
	}
	if !yield(hdr) {
		return
	}
	var index uint64
	if p.compressed != nil {
		// Compressed bytes are opaque: any boundary will do.
		for off := 0; off < len(p.compressed); index++ {
			end := min(off+p.chunkBytes, len(p.compressed))
			if !yield(p.chunkPacket(index, p.compressed[off:end:end])) {
				return
			}
			off = end
		}
	} else {
		text := p.out.Text
		for off := 0; off < len(text); index++ {
			end := textCut(text, off, p.chunkBytes)
			if !yield(p.chunkPacket(index, []byte(text[off:end]))) {
				return
			}
			off = end
		}
	}
	yield(trailerPacket(p.out.StreamID, p.out.Destinations, ""))
}

// textCut returns the end of the chunk starting at off: at most max bytes
// and never inside a UTF-8 code point, so each chunk is valid UTF-8 on its
// own (livekit-client 2.19 decodes chunks strictly). text is valid UTF-8
// and max ≥ utf8.UTFMax, so the chunk is never empty.
func textCut(text string, off, max int) int {
	end := off + max
	if end >= len(text) {
		return len(text)
	}
	for end > off && !utf8.RuneStart(text[end]) {
		end--
	}
	return end
}

// headerPacket builds the header packet without inline content.
func (p *plan) headerPacket() *livekit.DataPacket {
	total := uint64(len(p.out.Text))
	return &livekit.DataPacket{
		DestinationIdentities: p.out.Destinations,
		Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{
			StreamId:    p.out.StreamID,
			Timestamp:   p.out.Timestamp,
			Topic:       p.out.Topic,
			MimeType:    MimeType,
			TotalLength: &total,
			Attributes:  p.out.Attributes,
			ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{
				OperationType: livekit.DataStream_CREATE,
			}},
		}},
	}
}

func (p *plan) chunkPacket(index uint64, content []byte) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: p.out.Destinations,
		Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
			StreamId:   p.out.StreamID,
			ChunkIndex: index,
			Content:    content,
		}},
	}
}

func trailerPacket(streamID string, destinations []string, reason string) *livekit.DataPacket {
	return &livekit.DataPacket{
		DestinationIdentities: destinations,
		Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{
			StreamId: streamID,
			Reason:   reason,
		}},
	}
}
