// Package frame is the content of an lkrpc streaming reply (PROTOCOL.md
// §8.1): lines of "m" + a message payload, ended by one "e" + a JSON status.
// Writers build frames; a Reader splits a reply's chunks back into frames
// however the chunks cut them, within a size bound.
package frame

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Frame kinds: the first byte of each line.
const (
	KindMessage = 'm'
	KindEnd     = 'e'
)

// Status ends a reply: Code 0 is success; any other code is the call's
// error, as an RpcError carries it.
type Status struct {
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
	Data    string `json:"data,omitempty"`
}

// Frame is one parsed frame.
type Frame struct {
	Kind    byte
	Payload string // KindMessage: the message
	Status  Status // KindEnd: how the reply ended
	Size    int    // bytes on the wire, "\n" included: what credit counts
}

// ErrNewline is returned for a payload that contains "\n", which the frame
// cannot carry (the codecs never write one).
var ErrNewline = errors.New("frame: a message payload must not contain a newline")

// Message is the frame of one message.
func Message(payload string) (string, error) {
	if strings.IndexByte(payload, '\n') >= 0 {
		return "", ErrNewline
	}
	return "m" + payload + "\n", nil
}

// MessageSize is the size of the frame of a payload of n bytes.
func MessageSize(n int) int { return n + 2 }

// End is the last frame of a reply.
func End(s Status) string {
	b, _ := json.Marshal(s) // a struct of an int and strings always encodes
	return "e" + string(b) + "\n"
}

// Reader splits a reply's content into frames. Not safe for concurrent use.
type Reader struct {
	max     int    // the largest frame accepted, "\n" included
	pending []byte // the start of a frame whose "\n" has not come yet
	ended   bool
}

// NewReader returns a Reader that refuses frames over max bytes.
func NewReader(max int) *Reader { return &Reader{max: max} }

// TooLargeError is a frame over the Reader's bound.
type TooLargeError struct{ Size, Max int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("frame: a frame of at least %d bytes is over the limit of %d", e.Size, e.Max)
}

// Write takes the next piece of content and returns the frames it
// completes. After an error, or after the end frame, the Reader takes
// nothing more (content after the end frame is an error).
func (r *Reader) Write(p []byte) ([]Frame, error) {
	var frames []Frame
	for len(p) > 0 {
		if r.ended {
			return frames, errors.New("frame: content after the end frame")
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(r.pending)+len(p) >= r.max {
				return frames, &TooLargeError{Size: len(r.pending) + len(p) + 1, Max: r.max}
			}
			r.pending = append(r.pending, p...)
			return frames, nil
		}
		line := p[:i]
		if len(r.pending) > 0 {
			line = append(r.pending, line...)
			r.pending = nil
		}
		p = p[i+1:]
		if len(line)+1 > r.max {
			return frames, &TooLargeError{Size: len(line) + 1, Max: r.max}
		}
		f, err := parse(line)
		if err != nil {
			return frames, err
		}
		r.ended = f.Kind == KindEnd
		frames = append(frames, f)
	}
	return frames, nil
}

// Pending reports whether a frame has started and not ended.
func (r *Reader) Pending() bool { return len(r.pending) > 0 }

func parse(line []byte) (Frame, error) {
	if !utf8.Valid(line) {
		return Frame{}, errors.New("frame: not valid UTF-8")
	}
	if len(line) == 0 {
		return Frame{}, errors.New("frame: an empty line")
	}
	f := Frame{Kind: line[0], Size: len(line) + 1}
	switch f.Kind {
	case KindMessage:
		f.Payload = string(line[1:])
	case KindEnd:
		if err := json.Unmarshal(line[1:], &f.Status); err != nil {
			return Frame{}, fmt.Errorf("frame: the end frame's status is not a JSON object: %v", err)
		}
	default:
		return Frame{}, fmt.Errorf("frame: unknown frame kind %q", line[0])
	}
	return f, nil
}
