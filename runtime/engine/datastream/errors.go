package datastream

import (
	"errors"
	"fmt"
)

// Causes of a reassembly failure; an *Error wraps exactly one of them, so
// errors.Is(ev.Err, ErrAborted) tells why a stream failed.
var (
	// ErrLength: the payload's length differs from the header's total_length.
	ErrLength = errors.New("length does not match total_length")
	// ErrChunkOrder: a chunk index is not the next one expected.
	ErrChunkOrder = errors.New("chunk out of order")
	// ErrInvalidUTF8: the reassembled text is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("payload is not valid UTF-8")
	// ErrTooLarge: the stream exceeds a Limits bound.
	ErrTooLarge = errors.New("stream too large")
	// ErrTooManyStreams: the sender already has MaxStreamsPerSender streams open.
	ErrTooManyStreams = errors.New("too many open streams")
	// ErrCorrupt: the compressed content is not valid raw DEFLATE.
	ErrCorrupt = errors.New("corrupt compressed content")
	// ErrAborted: the sender ended the stream with a non-empty trailer reason.
	ErrAborted = errors.New("aborted")
	// ErrUnsupported: the header asks for something this package cannot
	// read (an unknown compression, a byte stream).
	ErrUnsupported = errors.New("unsupported stream")
	// ErrDuplicate: a header arrived for a stream id that is already open.
	ErrDuplicate = errors.New("duplicate stream id")
	// ErrSenderLeft: the sender left before finishing the stream.
	ErrSenderLeft = errors.New("sender left")
	// ErrClosed: the receiver closed (Assembler.Close) before the stream
	// finished.
	ErrClosed = errors.New("receiver closed")
)

// Error is a reassembly failure of one stream.
type Error struct {
	StreamID string
	Reason   string // human readable, e.g. "aborted: cancelled"
	Cause    error  // one of the Err* values above
}

func (e *Error) Error() string {
	return fmt.Sprintf("data stream %s: %s", e.StreamID, e.Reason)
}

// Unwrap returns the cause, for errors.Is.
func (e *Error) Unwrap() error { return e.Cause }

func failure(streamID string, cause error, format string, args ...any) *Error {
	return &Error{StreamID: streamID, Reason: fmt.Sprintf(format, args...), Cause: cause}
}
