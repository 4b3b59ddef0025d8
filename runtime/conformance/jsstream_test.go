package conformance_test

import (
	"bytes"
	"compress/flate"
	"io"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// sendStream sends text to dest as a text data stream, the way the peer's
// version does (PROTOCOL.md §3.2, §4).
func (p *jsPeer) sendStream(dest link.Participant, topic string, attrs map[string]string, text string) {
	id := uuid.NewString()
	to := []string{dest.Identity}
	header := &livekit.DataStream_Header{
		StreamId:   id,
		Timestamp:  time.Now().UnixMilli(),
		Topic:      topic,
		MimeType:   "text/plain",
		Attributes: attrs,
		ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{
			OperationType: livekit.DataStream_CREATE}},
	}
	headerPacket := func() *livekit.DataPacket {
		return &livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: to,
			Value: &livekit.DataPacket_StreamHeader{StreamHeader: header}}
	}
	if p.version == js223 {
		n := uint64(len(text))
		header.TotalLength = &n
	}

	var body []byte // what goes into chunks
	streamsV2 := p.version == js223 && dest.ClientProtocol >= 2
	if streamsV2 {
		content := []byte(text)
		if dest.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) {
			if c := jsDeflate(text); len(c) < len(content) {
				content = c
				header.Compression = livekit.DataStream_DEFLATE_RAW
			}
		}
		header.InlineContent = content
		if proto.Size(headerPacket()) <= jsMaxChunk {
			p.send(headerPacket())
			return
		}
		header.InlineContent = nil
		if header.Compression == livekit.DataStream_DEFLATE_RAW {
			body = content
		}
	}
	p.send(headerPacket())
	var chunks [][]byte
	if body != nil {
		for len(body) > 0 { // compressed bytes: boundaries arbitrary
			n := min(len(body), jsMaxChunk)
			chunks, body = append(chunks, body[:n]), body[n:]
		}
	} else {
		chunks = jsTextChunks(text)
	}
	for i, c := range chunks {
		p.send(&livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: to,
			Value: &livekit.DataPacket_StreamChunk{StreamChunk: &livekit.DataStream_Chunk{
				StreamId: id, ChunkIndex: uint64(i), Content: c}}})
	}
	p.send(&livekit.DataPacket{Kind: livekit.DataPacket_RELIABLE, DestinationIdentities: to,
		Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: id}}})
}

// jsTextChunks cuts text into chunks of at most jsMaxChunk bytes, only at
// code-point boundaries.
func jsTextChunks(text string) [][]byte {
	var chunks [][]byte
	for len(text) > 0 {
		n := min(len(text), jsMaxChunk)
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n--
		}
		chunks = append(chunks, []byte(text[:n]))
		text = text[n:]
	}
	return chunks
}

func jsDeflate(text string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	_, _ = io.WriteString(w, text)
	_ = w.Close()
	return b.Bytes()
}

func jsInflate(b []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(b)))
}

// jsInStream is a stream being received.
type jsInStream struct {
	header *livekit.DataStream_Header
	next   uint64
	body   []byte
	err    string
}

// onStreamPacket reassembles incoming streams, checking what the version
// can read, and acts on RPC streams.
func (p *jsPeer) onStreamPacket(sender string, pkt *livekit.DataPacket) {
	switch v := pkt.Value.(type) {
	case headerPkt:
		h := v.StreamHeader
		if h.GetTopic() != jsTopicRequest && h.GetTopic() != jsTopicResponse {
			return
		}
		if p.version == js218 {
			p.t.Errorf("%s (2.18, v1 only) received an RPC data stream %q from %s", p.identity, h.GetTopic(), sender)
			return
		}
		if p.version == js219 && (h.InlineContent != nil || h.GetCompression() != livekit.DataStream_NONE) {
			p.t.Errorf("%s (2.19, protocol 1) received a single-packet or compressed stream from %s", p.identity, sender)
			return
		}
		if h.GetTopic() == jsTopicRequest && !p.onRequestStreamHeader(sender, h) {
			return
		}
		s := &jsInStream{header: h}
		if h.InlineContent != nil {
			s.body = h.GetInlineContent()
			p.complete(sender, s)
			return
		}
		p.mu.Lock()
		p.streams[sender+"/"+h.GetStreamId()] = s
		p.mu.Unlock()
	case chunkPkt:
		c := v.StreamChunk
		p.mu.Lock()
		s := p.streams[sender+"/"+c.GetStreamId()]
		p.mu.Unlock()
		if s == nil || s.err != "" {
			return
		}
		switch {
		case c.GetChunkIndex() != s.next:
			s.err = "chunk index gap"
		case p.version == js219 && !utf8.Valid(c.GetContent()):
			s.err = "chunk is not valid UTF-8" // 2.19 decodes each chunk strictly
		}
		s.next++
		s.body = append(s.body, c.GetContent()...)
	case trailerPkt:
		key := sender + "/" + v.StreamTrailer.GetStreamId()
		p.mu.Lock()
		s := p.streams[key]
		delete(p.streams, key)
		p.mu.Unlock()
		if s == nil {
			return
		}
		if r := v.StreamTrailer.GetReason(); r != "" && s.err == "" {
			s.err = "stream aborted: " + r
		}
		p.complete(sender, s)
	}
}

// complete acts on a whole stream: serve a request, or end a call.
func (p *jsPeer) complete(sender string, s *jsInStream) {
	h := s.header
	body := s.body
	if s.err == "" && h.GetCompression() == livekit.DataStream_DEFLATE_RAW {
		var err error
		if body, err = jsInflate(body); err != nil {
			s.err = "inflate: " + err.Error()
		}
	}
	if s.err == "" && h.TotalLength != nil && uint64(len(body)) != h.GetTotalLength() {
		s.err = "total_length mismatch"
	}
	if s.err == "" && !utf8.Valid(body) {
		s.err = "payload is not valid UTF-8"
	}
	id := h.GetAttributes()[jsAttrID]
	if h.GetTopic() == jsTopicResponse {
		if s.err != "" {
			p.resolve(sender, id, jsResult{Err: &livekit.RpcError{Code: 1500, Message: "Application error in method handler", Data: s.err}})
		} else {
			p.resolve(sender, id, jsResult{Payload: string(body)})
		}
		return
	}
	if s.err != "" {
		p.send(jsErrorPacket(sender, id, 1500, "Application error in method handler"))
		return
	}
	a := h.GetAttributes()
	timeout, _ := parseInt(a[jsAttrTimeout])
	p.run(jsRequest{Caller: sender, ID: id, Method: a[jsAttrMethod], Payload: string(body), TimeoutMs: timeout, Stream: true})
}
