package datastream

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
)

// Limits of the protocol (PROTOCOL.md §3.2, §4).
const (
	// MaxChunkBytes is the largest chunk content.
	MaxChunkBytes = 15000
	// MaxHeaderBytes is the largest serialized header packet
	// (livekit-client ≥ 2.21 refuses to send larger ones).
	MaxHeaderBytes = 15000
)

// MimeType is the mime type of every stream this package sends.
const MimeType = "text/plain"

// ErrHeaderTooLarge is returned by Encode when the header packet alone
// (without inline content) is larger than MaxHeaderBytes, typically because
// of large attributes.
var ErrHeaderTooLarge = errors.New("datastream: header packet larger than MaxHeaderBytes")

// Outgoing describes one text stream to send.
type Outgoing struct {
	StreamID     string // new UUIDv4
	Topic        string // e.g. "lk.rpc_request"
	Timestamp    int64  // unix ms
	Attributes   map[string]string
	Destinations []string // DataPacket.destination_identities on every packet
	Text         string   // the payload; must be valid UTF-8
}

// Info summarises how a payload goes (went) on the wire.
type Info struct {
	Inline     bool // one header packet with inline_content, no chunks, no trailer
	Compressed bool
	Packets    int // header + chunks + trailer (1 when inline)
	WireBytes  int // content bytes on the wire (compressed size when compressed)
}

// Encode prepares the stream: it validates o, decides inline or chunked and
// compression (see the package doc), compresses now if it compresses, and
// returns the packets in send order. The sequence is built lazily, one
// packet per step, so a large payload is never held twice as packets; it
// may be ranged over more than once and yields fresh packets each time.
// Packets share o's copied destinations and attributes, the text's memory
// (inline content and plain chunks alias o.Text) and, when compressed, the
// compressed bytes: treat them as read-only. Encode is safe
// for concurrent use.
func Encode(o Outgoing, opts SendOptions) (packets iter.Seq[*livekit.DataPacket], info Info, err error) {
	o.Attributes = maps.Clone(o.Attributes)
	o.Destinations = slices.Clone(o.Destinations)
	p, info, err := encode(o, opts, false)
	if err != nil {
		return nil, info, err
	}
	return p.packets, info, nil
}

// EncodeOwned is Encode without copying o.Attributes and o.Destinations
// (the caller hands them over and must not modify them afterwards: the
// engine builds both afresh for every stream), whose packets are pulled
// with Packets.Next rather than ranged over, once. A payload of at least
// StreamCompressMin bytes is compressed while it is sent: its first part
// before the header, which carries the decision (that part saved
// MinSavingsDivisor), the rest on a goroutine of its own from the moment
// the header is pulled, holding what the sender has not taken yet (at
// most the whole compressed payload, as compressing first did). Its
// info.Packets and info.WireBytes are -1; Packets.Info has them once the
// text is all compressed. Call Packets.Close when not every packet will
// be pulled.
func EncodeOwned(o Outgoing, opts SendOptions) (packets Packets, info Info, err error) {
	p, info, err := encode(o, opts, true)
	if err != nil {
		return Packets{}, info, err
	}
	return Packets{p: p}, info, nil
}

// encode is Encode's work: the plan the packets are built from. asSent
// allows compressing as the packets are pulled.
func encode(o Outgoing, opts SendOptions, asSent bool) (_ *plan, _ Info, err error) {
	if err := o.validate(); err != nil {
		return nil, Info{}, err
	}
	s, err := opts.resolve()
	if err != nil {
		return nil, Info{}, err
	}
	p := &plan{
		out:        o,
		chunkBytes: s.chunkBytes,
	}
	if size := p.headerSize(nil, false); size > MaxHeaderBytes {
		return nil, Info{}, fmt.Errorf("%w: %d bytes", ErrHeaderTooLarge, size)
	}

	var compressed []byte
	if s.compress && len(o.Text) >= s.compressMin {
		level, whole, err := s.levelFor(o.Text)
		if err != nil {
			return nil, Info{}, err
		}
		if asSent && len(o.Text) >= StreamCompressMin {
			// Decided on the first part; plain when it does not pay.
			first, err := startDeflate(o.Text, level)
			switch {
			case err != nil:
				return nil, Info{}, err
			case first != nil && s.inline && first.estimate(len(o.Text)) <= MaxHeaderBytes:
				// So repetitive that the whole may fit one packet, and
				// quick to compress: compressed first, as below.
				first.release()
			default:
				p.first = first
				p.asSent = first != nil
				return p, p.info(), nil
			}
		}
		if compressed = whole; compressed == nil {
			if compressed, err = deflate(o.Text, level, compressBudget(len(o.Text), s.inline)); err != nil {
				return nil, Info{}, err
			}
		}
	}

	if s.inline {
		// The compressed form goes in one packet when it saves a tenth, or
		// when only it fits: a packet saved matters more than the ratio,
		// but a few bytes saved do not pay for the receiver's inflating.
		plainFits := len(o.Text) <= MaxHeaderBytes && p.headerSize(stringBytes(o.Text), false) <= MaxHeaderBytes
		if compressed != nil && (!plainFits || savesEnough(len(compressed), len(o.Text))) && p.tryInline(compressed, true) {
			return p, p.info(), nil
		}
		// The packets are read-only, so the inline content may share the
		// text's memory.
		if plainFits && p.tryInline(stringBytes(o.Text), false) {
			return p, p.info(), nil
		}
	}
	if compressed != nil && savesEnough(len(compressed), len(o.Text)) {
		p.compressed = compressed
	}
	return p, p.info(), nil
}

// Abort returns a trailer packet with a non-empty reason, to end a stream
// early (e.g. the call was cancelled mid-upload). An empty reason becomes
// "aborted", since an empty one would mean a normal end.
func Abort(streamID string, destinations []string, reason string) *livekit.DataPacket {
	if reason == "" {
		reason = "aborted"
	}
	return trailerPacket(streamID, slices.Clone(destinations), reason)
}

func (o *Outgoing) validate() error {
	switch {
	case o.StreamID == "":
		return errors.New("datastream: empty stream id")
	case !utf8.ValidString(o.StreamID):
		return errors.New("datastream: stream id is not valid UTF-8")
	case o.Topic == "":
		return errors.New("datastream: empty topic")
	case !utf8.ValidString(o.Topic):
		return errors.New("datastream: topic is not valid UTF-8")
	case !utf8.ValidString(o.Text):
		return errors.New("datastream: text is not valid UTF-8")
	}
	for _, d := range o.Destinations {
		if d == "" || !utf8.ValidString(d) {
			return fmt.Errorf("datastream: destination identity %q is empty or not valid UTF-8", d)
		}
	}
	for k, v := range o.Attributes {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("datastream: attribute %q is not valid UTF-8", k)
		}
	}
	return nil
}
