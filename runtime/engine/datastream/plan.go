package datastream

import (
	"errors"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// plan is one encoded stream: what Encode decided, from which the packets
// are built on demand.
type plan struct {
	out        Outgoing // attributes and destinations already copied
	chunkBytes int

	inline        bool
	inlineContent []byte // when inline (compressed or not)
	compressed    []byte // the whole compressed payload; nil when plain or compressed as sent

	// Compressed as sent (EncodeOwned, deflater.go) by the deflater that
	// decided it, handed to the Packets that pulls them.
	asSent bool
	first  *deflater
}

// deflater hands the compressor that decided to compress to the one pass
// over the packets EncodeOwned allows.
func (p *plan) deflater() (*deflater, error) {
	d := p.first
	if d == nil {
		return nil, errors.New("datastream: the packets of a stream compressed as sent were pulled twice")
	}
	p.first = nil
	return d, nil
}

// deflating reports whether the plan compresses as its packets are pulled.
func (p *plan) deflating() bool { return p.asSent }

// tryInline makes the plan inline with content if the header packet then
// fits MaxHeaderBytes.
func (p *plan) tryInline(content []byte, compressed bool) bool {
	if p.headerSize(content, compressed) > MaxHeaderBytes {
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
	if p.deflating() {
		return Info{Compressed: true, Packets: -1, WireBytes: -1}
	}
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
	ps := Packets{p: p}
	for pkt := ps.Next(); pkt != nil; pkt = ps.Next() {
		if !yield(pkt) {
			return
		}
	}
}

// Packets hands out an encoded stream's packets one at a time, in send
// order (EncodeOwned); fresh packets each, read-only as Encode's are. Its
// zero value has none. Not safe for concurrent use.
type Packets struct {
	p     *plan
	step  int       // 0: header next; 1: chunks; 2: done
	off   int       // offset of the next chunk in the text or compressed bytes
	index uint64    // index of the next chunk
	d     *deflater // when the plan compresses as it sends
	err   error
}

// Info is how the stream goes on the wire. For a stream compressed as it
// is sent, WireBytes and Packets are -1 until its text is all compressed
// (before its last chunk is out).
func (ps *Packets) Info() Info {
	switch {
	case ps.p == nil:
		return Info{}
	case !ps.p.deflating():
		return ps.p.info()
	}
	info := Info{Compressed: true, Packets: -1, WireBytes: -1}
	if ps.d != nil {
		if total := ps.d.total(); total >= 0 {
			left := total - ps.d.wire
			info.WireBytes = total
			info.Packets = int(ps.index) + (left+ps.p.chunkBytes-1)/ps.p.chunkBytes + 2
		}
	}
	return info
}

// Close stops compressing the rest of a stream whose packets will not all
// be pulled (a send failed). Harmless after the last packet, and twice.
func (ps *Packets) Close() {
	if ps.d != nil {
		ps.d.close()
	}
}

// Err is why the stream ended early: compress/flate failed (which it does
// not on valid levels); its last packet was then an aborting trailer.
func (ps *Packets) Err() error { return ps.err }

// Next returns the next packet, or nil after the last.
func (ps *Packets) Next() *livekit.DataPacket {
	p := ps.p
	if p == nil {
		return nil
	}
	switch ps.step {
	case 0:
		if p.deflating() {
			if ps.d, ps.err = p.deflater(); ps.err != nil {
				ps.step = 2
				return nil
			}
			go ps.d.run()
		}
		hdr := p.headerPacket()
		h := hdr.GetStreamHeader()
		if p.inline {
			h.InlineContent = p.inlineContent
			ps.step = 2
		} else {
			ps.step = 1
		}
		if p.compressed != nil || ps.d != nil {
			h.Compression = livekit.DataStream_DEFLATE_RAW
		}
		return hdr
	case 1:
		var pkt *livekit.DataPacket
		if ps.d != nil {
			c, err := ps.d.chunk(p.chunkBytes)
			if err != nil {
				ps.err, ps.step = err, 2
				return trailerPacket(p.out.StreamID, p.out.Destinations, "compression failed")
			}
			if c != nil {
				pkt = p.chunkPacket(ps.index, c)
			}
		} else if p.compressed != nil {
			// Compressed bytes are opaque: any boundary will do.
			if ps.off < len(p.compressed) {
				end := min(ps.off+p.chunkBytes, len(p.compressed))
				pkt = p.chunkPacket(ps.index, p.compressed[ps.off:end:end])
				ps.off = end
			}
		} else if text := p.out.Text; ps.off < len(text) {
			end := textCut(text, ps.off, p.chunkBytes)
			// Read-only packets: the chunk shares the text's memory.
			pkt = p.chunkPacket(ps.index, stringBytes(text[ps.off:end]))
			ps.off = end
		}
		if pkt != nil {
			ps.index++
			return pkt
		}
		ps.step = 2
		return trailerPacket(p.out.StreamID, p.out.Destinations, "")
	}
	return nil
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

// headerParts are the messages of one header packet, allocated together:
// one allocation instead of six per stream.
type headerParts struct {
	pkt   livekit.DataPacket
	value livekit.DataPacket_StreamHeader
	h     livekit.DataStream_Header
	text  livekit.DataStream_Header_TextHeader
	th    livekit.DataStream_TextHeader
	total uint64
}

// headerPacket builds the header packet without inline content.
func (p *plan) headerPacket() *livekit.DataPacket {
	b := new(headerParts)
	b.total = uint64(len(p.out.Text))
	b.th.OperationType = livekit.DataStream_CREATE
	b.text.TextHeader = &b.th
	b.h.StreamId = p.out.StreamID
	b.h.Timestamp = p.out.Timestamp
	b.h.Topic = p.out.Topic
	b.h.MimeType = MimeType
	b.h.TotalLength = &b.total
	b.h.Attributes = p.out.Attributes
	b.h.ContentHeader = &b.text
	b.value.StreamHeader = &b.h
	b.pkt.DestinationIdentities = p.out.Destinations
	b.pkt.Value = &b.value
	return &b.pkt
}

// headerSize is proto.Size of headerPacket() with inline content (none when
// nil) and the DEFLATE mark when compressed, counted without building the
// packet: proto.Size walks a map field by reflection, at two allocations
// per entry. TestHeaderSizeIsProtoSize holds the two equal.
func (p *plan) headerSize(inline []byte, compressed bool) int {
	n := sizeString(fieldHeaderStreamID, p.out.StreamID) +
		sizeString(fieldHeaderTopic, p.out.Topic) +
		sizeString(fieldHeaderMimeType, MimeType) +
		protowire.SizeTag(fieldHeaderTotalLength) + protowire.SizeVarint(uint64(len(p.out.Text))) +
		// text_header: a TextHeader with every field at its zero value
		// (operation_type CREATE is 0), so an empty message.
		protowire.SizeTag(fieldHeaderTextHeader) + protowire.SizeBytes(0)
	if p.out.Timestamp != 0 {
		n += protowire.SizeTag(fieldHeaderTimestamp) + protowire.SizeVarint(uint64(p.out.Timestamp))
	}
	for k, v := range p.out.Attributes {
		// Map entries always carry both key and value, even when empty.
		entry := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(len(v))
		n += protowire.SizeTag(fieldHeaderAttributes) + protowire.SizeBytes(entry)
	}
	if inline != nil {
		n += protowire.SizeTag(fieldHeaderInlineContent) + protowire.SizeBytes(len(inline))
	}
	if compressed {
		n += protowire.SizeTag(fieldHeaderCompression) + protowire.SizeVarint(uint64(livekit.DataStream_DEFLATE_RAW))
	}
	total := protowire.SizeTag(fieldPacketStreamHeader) + protowire.SizeBytes(n)
	for _, d := range p.out.Destinations {
		total += protowire.SizeTag(fieldPacketDestinations) + protowire.SizeBytes(len(d))
	}
	return total
}

// sizeString is the size of a proto3 string field (absent when empty).
func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

// Field numbers headerSize counts, read from the descriptors.
var (
	fieldPacketDestinations  = fieldNumber(&livekit.DataPacket{}, "destination_identities")
	fieldPacketStreamHeader  = fieldNumber(&livekit.DataPacket{}, "stream_header")
	fieldHeaderStreamID      = fieldNumber(&livekit.DataStream_Header{}, "stream_id")
	fieldHeaderTimestamp     = fieldNumber(&livekit.DataStream_Header{}, "timestamp")
	fieldHeaderTopic         = fieldNumber(&livekit.DataStream_Header{}, "topic")
	fieldHeaderMimeType      = fieldNumber(&livekit.DataStream_Header{}, "mime_type")
	fieldHeaderTotalLength   = fieldNumber(&livekit.DataStream_Header{}, "total_length")
	fieldHeaderAttributes    = fieldNumber(&livekit.DataStream_Header{}, "attributes")
	fieldHeaderTextHeader    = fieldNumber(&livekit.DataStream_Header{}, "text_header")
	fieldHeaderInlineContent = fieldNumber(&livekit.DataStream_Header{}, "inline_content")
	fieldHeaderCompression   = fieldNumber(&livekit.DataStream_Header{}, "compression")
)

func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	f := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if f == nil {
		panic("datastream: livekit protocol without field " + string(name))
	}
	return f.Number()
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
