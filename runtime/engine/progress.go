package engine

import (
	"sync"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// reporter passes one call's progress to transport.Call.Progress: one report
// at a time (the upload and the receive loop both report), and none once
// the call has returned.
type reporter struct {
	mu sync.Mutex
	fn func(transport.Progress) // nil once stopped
}

// newReporter returns nil when fn is nil; a nil reporter reports nothing.
func newReporter(fn func(transport.Progress)) *reporter {
	if fn == nil {
		return nil
	}
	return &reporter{fn: fn}
}

func (r *reporter) report(p transport.Progress) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fn != nil {
		r.fn(p)
	}
}

// stop ends reporting; a report running now finishes first.
func (r *reporter) stop() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.fn = nil
	r.mu.Unlock()
}

// contentBytes is the payload a stream packet carries: a chunk's content or
// a header's inline content.
func contentBytes(pkt *livekit.DataPacket) int64 {
	switch v := pkt.GetValue().(type) {
	case *livekit.DataPacket_StreamChunk:
		return int64(len(v.StreamChunk.GetContent()))
	case *livekit.DataPacket_StreamHeader:
		return int64(len(v.StreamHeader.GetInlineContent()))
	}
	return 0
}

// download is a response stream whose progress a caller watches.
type download struct {
	to    *reporter
	bytes int64
	total int64
}

// watchResponse starts reporting the chunks of a response stream that
// opened, when its call asked for progress (under recvMu).
func (e *Engine) watchResponse(ev datastream.Event, requestID string) {
	to := e.pending.reporterOf(ev.Sender, requestID)
	if to == nil {
		return
	}
	total := int64(-1)
	if h := ev.Header; h.TotalLength != nil && h.Compression == livekit.DataStream_NONE {
		total = int64(*h.TotalLength)
	}
	if e.downloads == nil {
		e.downloads = make(map[streamKey]*download)
	}
	e.downloads[streamKey{ev.Sender, ev.Header.GetStreamId()}] = &download{to: to, total: total}
}

// reportChunk reports a chunk of a watched response stream (under recvMu).
func (e *Engine) reportChunk(sender string, c *livekit.DataStream_Chunk) {
	d := e.downloads[streamKey{sender, c.GetStreamId()}]
	if d == nil {
		return
	}
	d.bytes += int64(len(c.GetContent()))
	d.to.report(transport.Progress{Response: true, Bytes: d.bytes, Total: d.total})
}
