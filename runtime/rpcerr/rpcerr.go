// Package rpcerr is the one error type of LiveKit participant RPC, shared by
// every layer of lkrpc: the protocol engine raises the built-in codes, the
// typed runtime adds application errors with details, and callers inspect
// both with errors.As. It mirrors RpcError of livekit_models.proto and of
// every LiveKit SDK (code, message, data).
package rpcerr

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Built-in error codes, identical in every LiveKit SDK. Codes 1001–1999 are
// reserved for them; applications use other codes.
const (
	// UnsupportedMethod: the handler has no such method.
	UnsupportedMethod = 1400
	// RecipientNotFound: the destination is not in the room.
	RecipientNotFound = 1401
	// RequestPayloadTooLarge: a v1 request over 15360 bytes, raised by the caller before sending.
	RequestPayloadTooLarge = 1402
	// UnsupportedServer: the server is older than 1.8.0.
	UnsupportedServer = 1403
	// UnsupportedVersion: the handler got a request version it does not speak.
	UnsupportedVersion = 1404
	// ApplicationError: the handler failed with something that is not an RPC error,
	// or a v2 stream was malformed or could not be read.
	ApplicationError = 1500
	// ConnectionTimeout: no ack within the ack timeout (7 s).
	ConnectionTimeout = 1501
	// ResponseTimeout: no response within the call's timeout.
	ResponseTimeout = 1502
	// RecipientDisconnected: the destination left the room, or the local link was lost.
	RecipientDisconnected = 1503
	// ResponsePayloadTooLarge: a v1 response over 15360 bytes, raised by the handler.
	ResponsePayloadTooLarge = 1504
	// SendFailed: publishing the request failed.
	SendFailed = 1505
)

// Wire limits of RpcError fields.
const (
	// MaxMessageBytes is the longest message sent on the wire; longer ones are truncated.
	MaxMessageBytes = 256
	// MaxDataBytes is the longest data sent on the wire; longer data is truncated.
	MaxDataBytes = 15360
)

// Error is an RPC error as it travels on the wire.
type Error struct {
	Code    int
	Message string
	Data    string
	// Cause is why the error was raised, for the local log only: it never
	// travels. The typed runtime sets it when it hides a handler's Go error
	// behind a generic message; the transport that sends the error logs it.
	Cause error
}

// Unwrap returns Cause.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an error with the given code and message.
func New(code int, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Newf returns an error with the given code and a formatted message.
func Newf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("rpc error %d: %s (data: %s)", e.Code, e.Message, e.Data)
	}
	return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, rpcerr.New(rpcerr.ResponseTimeout, "")) matches by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Truncated returns a copy whose message and data fit the wire limits,
// cut at UTF-8 code-point boundaries.
func (e *Error) Truncated() *Error {
	return &Error{
		Code:    e.Code,
		Message: TruncateUTF8(e.Message, MaxMessageBytes),
		Data:    TruncateUTF8(e.Data, MaxDataBytes),
		Cause:   e.Cause,
	}
}

// From returns err as an *Error when it is one (anywhere in its chain).
func From(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Code returns the RPC code of err, or 0 when err carries none.
func Code(err error) int {
	if e, ok := From(err); ok {
		return e.Code
	}
	return 0
}

// TruncateUTF8 returns the longest prefix of s that is at most n bytes and
// does not split a code point.
func TruncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// builtinMessages are the messages every LiveKit SDK uses for the built-in
// codes; this table is the only place lkrpc spells them.
var builtinMessages = map[int]string{
	UnsupportedMethod:       "Method not supported at destination",
	RecipientNotFound:       "Recipient not found",
	RequestPayloadTooLarge:  "Request payload too large",
	UnsupportedServer:       "RPC not supported by server",
	UnsupportedVersion:      "Unsupported RPC version",
	ApplicationError:        "Application error in method handler",
	ConnectionTimeout:       "Connection timeout",
	ResponseTimeout:         "Response timeout",
	RecipientDisconnected:   "Recipient disconnected",
	ResponsePayloadTooLarge: "Response payload too large",
	SendFailed:              "Failed to send",
}

// Message returns the SDKs' standard message for a built-in code, or "" for
// any other code.
func Message(code int) string { return builtinMessages[code] }

// Builtin returns a built-in error with the SDKs' standard message.
func Builtin(code int) *Error { return &Error{Code: code, Message: builtinMessages[code]} }

// BuiltinData returns a built-in error with the standard message and data
// explaining the cause, as livekit-client does.
func BuiltinData(code int, data string) *Error {
	return &Error{Code: code, Message: builtinMessages[code], Data: data}
}

// FromContext is how a call ends when its ctx does, in every layer: a
// passed deadline is the response timeout (1502, "Response timeout"); a
// cancellation is not an RPC error but a Go error wrapping context.Canceled
// (and the cancel cause, when one was given). It returns nil while ctx is
// live.
func FromContext(ctx context.Context) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return Builtin(ResponseTimeout)
	}
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("lkrpc: call canceled: %w (cause: %w)", err, cause)
	}
	return fmt.Errorf("lkrpc: call canceled: %w", err)
}
