package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// Error is an RPC error as it travels on the wire: code, message (≤ 256
// bytes) and data (≤ 15360 bytes). Every error a call returns that came
// from the wire, or that the runtime raises for a protocol reason, is one;
// find it with errors.As or rpcerr.From.
type Error = rpcerr.Error

// Built-in error codes, identical in every LiveKit SDK (1001–1999 are
// reserved for them). See the mapping table in the package doc for which
// Go failure becomes which code.
const (
	UnsupportedMethod       = rpcerr.UnsupportedMethod
	RecipientNotFound       = rpcerr.RecipientNotFound
	RequestPayloadTooLarge  = rpcerr.RequestPayloadTooLarge
	UnsupportedServer       = rpcerr.UnsupportedServer
	UnsupportedVersion      = rpcerr.UnsupportedVersion
	ApplicationError        = rpcerr.ApplicationError
	ConnectionTimeout       = rpcerr.ConnectionTimeout
	ResponseTimeout         = rpcerr.ResponseTimeout
	RecipientDisconnected   = rpcerr.RecipientDisconnected
	ResponsePayloadTooLarge = rpcerr.ResponsePayloadTooLarge
	SendFailed              = rpcerr.SendFailed
)

// lkrpc's own codes. They are reserved by lkrpc, lie outside the SDKs'
// 1001–1999 range, and mirror HTTP status numbers (400, 401, 403) in the
// 2xxx block so that they are easy to recognise. Applications should not
// reuse 2400–2499.
const (
	// MalformedRequest: the handler could not decode the request payload
	// into the method's request message (not JSON/base64, wrong field types,
	// invalid protobuf). The message says what was wrong.
	MalformedRequest = 2400
	// MalformedResponse: the caller could not decode the reply into the
	// method's response message. Raised caller-side; never sent.
	MalformedResponse = 2401
	// PermissionDenied: an authorizer (WithAuthorizer) refused the call.
	PermissionDenied = 2403
)

// msgPermissionDenied is lkrpc's message for PermissionDenied.
const msgPermissionDenied = "Permission denied"

// The JSON object NewError puts in Data around the details.
const (
	detailsEnvelopeOpen  = `{"details":[`
	detailsEnvelopeClose = `]}`
)

// Code returns the RPC error code of err, or 0 when err carries none.
func Code(err error) int { return rpcerr.Code(err) }

// NewError returns an application error with typed details. The details
// travel in Data as JSON that JavaScript can read with JSON.parse:
//
//	{"details":[{"@type":"type.googleapis.com/pkg.Msg","field":"…"}]}
//
// each element being the protojson form of a google.protobuf.Any. A Go
// caller gets the messages back with ErrorDetails.
//
// Data is limited to 15360 bytes on the wire and truncating JSON would
// break it, so details are added in order while they fit; one that does not
// fit, or cannot be encoded (e.g. invalid UTF-8 in a string field), is
// left out and logged.
//
// Application codes should lie outside the SDKs' 1001–1999 and lkrpc's
// 2400–2499; returning one of those (e.g. PermissionDenied from an
// authorizer) is fine when its meaning is the documented one.
func NewError(code int, message string, details ...proto.Message) *Error {
	e := &Error{Code: code, Message: message}
	if len(details) == 0 {
		return e
	}
	var b strings.Builder
	b.WriteString(detailsEnvelopeOpen)
	added := 0
	for i, d := range details {
		j, err := marshalDetail(d)
		if err != nil {
			slog.Warn("lkrpc: error detail left out: it does not encode", "index", i, "error", err)
			continue
		}
		sep := ""
		if added > 0 {
			sep = ","
		}
		if b.Len()+len(sep)+len(j)+len(detailsEnvelopeClose) > rpcerr.MaxDataBytes {
			slog.Warn("lkrpc: error detail left out: error data would exceed the wire limit",
				"index", i, "type", messageName(d), "bytes", len(j), "limit", rpcerr.MaxDataBytes)
			continue
		}
		b.WriteString(sep)
		b.Write(j)
		added++
	}
	if added > 0 {
		b.WriteString(detailsEnvelopeClose)
		e.Data = b.String()
	}
	return e
}

// marshalDetail renders d as the protojson form of an Any holding it.
func marshalDetail(d proto.Message) ([]byte, error) {
	if d == nil {
		return nil, errors.New("nil detail")
	}
	a, err := anypb.New(d)
	if err != nil {
		return nil, err
	}
	// The resolver knows d's own type even when it is not in the global
	// registry (e.g. a dynamicpb message), so any message can be a detail.
	opts := protojson.MarshalOptions{Resolver: ownTypeResolver{d.ProtoReflect().Type()}}
	return opts.Marshal(a)
}

// ErrorDetails returns the typed details of an error made with NewError,
// resolving their types through protoregistry.GlobalTypes (a detail type
// must be linked into the program, as generated code is).
//
// It returns nil, nil when err carries no *Error or no details. When Data is
// not lkrpc's details JSON, or a detail's type is unknown here, the error
// says so (an unknown type wraps protoregistry.NotFound); the details that
// did decode are still returned, and the raw Data stays available on the
// *Error.
func ErrorDetails(err error) ([]proto.Message, error) {
	e, ok := rpcerr.From(err)
	if !ok || e.Data == "" {
		return nil, nil
	}
	var envelope struct {
		Details []json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal([]byte(e.Data), &envelope); err != nil {
		return nil, fmt.Errorf("lkrpc: error data is not lkrpc error details (JSON object with \"details\"): %w", err)
	}
	var out []proto.Message
	var errs []error
	for i, raw := range envelope.Details {
		m, err := unmarshalDetail(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("lkrpc: error detail %d: %w", i, err))
			continue
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

func unmarshalDetail(raw json.RawMessage) (proto.Message, error) {
	var head struct {
		Type string `json:"@type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if head.Type == "" {
		return nil, errors.New(`no "@type"`)
	}
	if _, err := protoregistry.GlobalTypes.FindMessageByURL(head.Type); err != nil {
		return nil, fmt.Errorf("type %q is not linked into this program: %w", head.Type, err)
	}
	var a anypb.Any
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("%s does not decode: %w", head.Type, err)
	}
	return a.UnmarshalNew()
}

// ownTypeResolver resolves one message type itself and everything else
// through the global registry.
type ownTypeResolver struct{ own protoreflect.MessageType }

func (r ownTypeResolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if name == r.own.Descriptor().FullName() {
		return r.own, nil
	}
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

func (r ownTypeResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	name := url
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		name = url[i+1:]
	}
	return r.FindMessageByName(protoreflect.FullName(name))
}

func (ownTypeResolver) FindExtensionByName(field protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(field)
}

func (ownTypeResolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}

// messageName names m's type for logs and errors.
func messageName(m proto.Message) string {
	if m == nil {
		return "<nil>"
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}
