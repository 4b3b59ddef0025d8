package datastream

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/livekit/protocol/livekit"
)

// Defaults of Limits.
const (
	DefaultMaxPayloadBytes     = 64 << 20
	DefaultMaxStreamsPerSender = 32
	// DefaultMaxBufferedBytes bounds all open streams together, so many
	// senders (or one sender's many streams) cannot add up past it.
	DefaultMaxBufferedBytes = 256 << 20
)

// Limits bound what an Assembler accepts. Zero or negative values mean the
// defaults.
type Limits struct {
	MaxPayloadBytes     int64 // largest reassembled (uncompressed) payload; default 64 MiB
	MaxStreamsPerSender int   // open streams per sender; default 32
	MaxBufferedBytes    int64 // memory held by all open streams together (see Memory in the package doc); default 256 MiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxPayloadBytes <= 0 {
		l.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if l.MaxStreamsPerSender <= 0 {
		l.MaxStreamsPerSender = DefaultMaxStreamsPerSender
	}
	if l.MaxBufferedBytes <= 0 {
		l.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	return l
}

// EventKind says what a fed packet did to a stream.
type EventKind int

const (
	Opened    EventKind = iota + 1 // an accepted header arrived
	Completed                      // the whole payload arrived
	Failed                         // the stream ended without a payload
)

func (k EventKind) String() string {
	switch k {
	case Opened:
		return "Opened"
	case Completed:
		return "Completed"
	case Failed:
		return "Failed"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is what a fed packet produced.
type Event struct {
	Kind   EventKind
	Sender string                     // pkt.ParticipantIdentity
	Header *livekit.DataStream_Header // always set
	Text   string                     // Completed: the whole payload
	Info   Info                       // Completed: how it came
	Err    error                      // Failed: why (an *Error)
}

// Assembler reassembles incoming text streams. Not safe for concurrent use
// (the engine calls it from its single receive goroutine).
type Assembler struct {
	lim       Limits
	accept    func(sender string, h *livekit.DataStream_Header) bool
	streams   map[streamKey]*stream
	perSender map[string]int
	buffered  int64  // memory held by all open streams (their content's charged())
	opened    uint64 // streams opened so far, to order SenderLeft's events
	closed    bool   // Close was called: every packet is ignored
	// offHeapMin is the size from which a stream's content is kept off
	// the Go heap: offHeapMin, lowered by tests.
	offHeapMin int
}

type streamKey struct{ sender, id string }

// stream is one open chunked stream.
type stream struct {
	key     streamKey
	header  *livekit.DataStream_Header
	order   uint64
	next    uint64    // the chunk index expected next
	content content   // the payload so far (inflated when compressed)
	inflate *inflater // nil unless compressed
}

// NewAssembler returns an Assembler. accept decides, at header time, which
// streams to reassemble (nil accepts all); it sees only headers, never
// chunks.
func NewAssembler(lim Limits, accept func(sender string, h *livekit.DataStream_Header) bool) *Assembler {
	return &Assembler{
		lim:        lim.withDefaults(),
		accept:     accept,
		streams:    make(map[streamKey]*stream),
		perSender:  make(map[string]int),
		offHeapMin: offHeapMin,
	}
}

// Feed handles one packet whose Value is a stream header, chunk or trailer;
// anything else yields nil. The sender is pkt.ParticipantIdentity ("" when
// absent); streams are keyed by (sender, stream id).
//
//   - A header accept rejects is ignored, and so are its chunks and trailer.
//   - An accepted header yields Opened. In the same slice it also yields
//     Completed when inline, or Failed when it can never complete
//     (ErrUnsupported, ErrTooLarge total_length, ErrTooManyStreams, and for
//     inline content every check a trailer makes).
//   - A header whose id is already open from that sender yields Failed
//     (ErrDuplicate) for the open stream, and is itself dropped.
//   - A chunk yields nothing, or Failed when it breaks the order, the
//     total_length or a limit.
//   - A trailer yields Completed or Failed.
//
// After its terminal event a stream is forgotten, and the memory holding
// its bytes released; later packets of it are ignored. After Close every
// packet is ignored.
func (a *Assembler) Feed(pkt *livekit.DataPacket) []Event {
	if a.closed {
		return nil
	}
	sender := pkt.GetParticipantIdentity()
	switch v := pkt.GetValue().(type) {
	case *livekit.DataPacket_StreamHeader:
		if v.StreamHeader != nil {
			return a.onHeader(sender, v.StreamHeader)
		}
	case *livekit.DataPacket_StreamChunk:
		if v.StreamChunk != nil {
			return a.onChunk(sender, v.StreamChunk)
		}
	case *livekit.DataPacket_StreamTrailer:
		if v.StreamTrailer != nil {
			return a.onTrailer(sender, v.StreamTrailer)
		}
	}
	return nil
}

// SenderLeft fails and forgets every open stream from sender, in the order
// they were opened.
func (a *Assembler) SenderLeft(sender string) []Event {
	return a.failAll(func(k streamKey) bool { return k.sender == sender }, func(st *stream) *Error {
		return failure(st.key.id, ErrSenderLeft, "sender %q left", sender)
	})
}

// Close fails and forgets every open stream (ErrClosed), in the order they
// were opened, releasing their memory; from then on Feed ignores every
// packet and SenderLeft finds nothing. Calling it again returns nothing.
func (a *Assembler) Close() []Event {
	a.closed = true
	return a.failAll(func(streamKey) bool { return true }, func(st *stream) *Error {
		return failure(st.key.id, ErrClosed, "the receiver closed")
	})
}

// failAll fails the open streams whose keys match, in the order they were
// opened.
func (a *Assembler) failAll(match func(streamKey) bool, why func(*stream) *Error) []Event {
	var gone []*stream
	for k, st := range a.streams {
		if match(k) {
			gone = append(gone, st)
		}
	}
	slices.SortFunc(gone, func(x, y *stream) int { return cmp.Compare(x.order, y.order) })
	events := make([]Event, 0, len(gone))
	for _, st := range gone {
		events = append(events, a.fail(st, why(st)))
	}
	return events
}

// Open returns the number of streams open (for tests and leak checks).
func (a *Assembler) Open() int { return len(a.streams) }

// Buffered returns the memory the open streams hold, which
// MaxBufferedBytes bounds: the bytes of small streams, the mapped memory
// (whole pages, some room to grow included) of large ones.
func (a *Assembler) Buffered() int64 { return a.buffered }

// forget removes an open stream, releases the memory holding its bytes and
// its accounting.
func (a *Assembler) forget(st *stream) {
	delete(a.streams, st.key)
	a.buffered -= st.content.charged()
	if st.inflate != nil {
		st.inflate.release()
	}
	st.content.release()
	if a.perSender[st.key.sender]--; a.perSender[st.key.sender] <= 0 {
		delete(a.perSender, st.key.sender)
	}
}

// fail forgets an open stream and reports why it ended.
func (a *Assembler) fail(st *stream, err *Error) Event {
	a.forget(st)
	return failedEvent(st.key.sender, st.header, err)
}

func failedEvent(sender string, h *livekit.DataStream_Header, err *Error) Event {
	return Event{Kind: Failed, Sender: sender, Header: h, Err: err}
}
