package engine

import (
	"github.com/livekit/protocol/livekit"
)

// onReplyPacket takes the packets of streaming replies, which are read as
// they come rather than assembled (under recvMu). It reports whether pkt
// was one.
func (e *Engine) onReplyPacket(sender string, pkt *livekit.DataPacket) bool {
	replies := e.streamCalls.replies
	switch v := pkt.GetValue().(type) {
	case *livekit.DataPacket_StreamHeader:
		h := v.StreamHeader
		if h.GetTopic() != TopicStreamReply {
			return false
		}
		id := h.GetAttributes()[AttrStreamID]
		sc := e.streamCalls.lookup(sender, id)
		if sc == nil {
			// A reply to a call that has ended (or never was): tell the
			// handler to stop rather than let it stream to nobody.
			if id != "" {
				e.sendControlStream(sender, id, opCancel, 0)
			}
			return true
		}
		if h.GetCompression() != livekit.DataStream_NONE || h.GetInlineContent() != nil {
			sc.fail(malformedReply("a streaming reply must be neither compressed nor a single packet"), tellHandler)
			return true
		}
		replies[streamKey{sender, h.GetStreamId()}] = sc
		sc.opened()
	case *livekit.DataPacket_StreamChunk:
		key := streamKey{sender, v.StreamChunk.GetStreamId()}
		sc := replies[key]
		if sc == nil {
			return false
		}
		if sc.ended() {
			delete(replies, key)
			return true
		}
		sc.onContent(v.StreamChunk.GetChunkIndex(), v.StreamChunk.GetContent())
	case *livekit.DataPacket_StreamTrailer:
		key := streamKey{sender, v.StreamTrailer.GetStreamId()}
		sc := replies[key]
		if sc == nil {
			return false
		}
		delete(replies, key)
		sc.onTrailer(v.StreamTrailer.GetReason())
	default:
		return false
	}
	return true
}

// dropReplies forgets the reply streams from sender (it left; under recvMu).
func (e *Engine) dropReplies(sender string) {
	for k := range e.streamCalls.replies {
		if k.sender == sender {
			delete(e.streamCalls.replies, k)
		}
	}
}
