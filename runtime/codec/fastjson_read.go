package codec

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unsafe"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fast JSON decoder: messages, lists and fields, for the shapes
// fastjson.go describes; any doubt and protojson decodes instead.

// jsonReader decodes protojson (protojson.UnmarshalOptions{DiscardUnknown:
// true}) into messages, giving up (false) on anything it does not read
// exactly as protojson would; the caller then resets the message and lets
// protojson decode it.
type jsonReader struct {
	s string
	i int
}

// decodeMessageJSON decodes payload into m, which is empty. plan is m's
// (planOf(m.Descriptor())), and at m's address when m is of plan's
// generated type (timestampFields.at), else nil.
func decodeMessageJSON(payload string, m protoreflect.Message, plan *messagePlan, at unsafe.Pointer) bool {
	r := jsonReader{s: payload}
	if !r.message(m, plan, at, 0) {
		return false
	}
	r.space()
	return r.i == len(r.s)
}

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (r *jsonReader) next(c byte) bool {
	r.space()
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *jsonReader) peek() byte {
	r.space()
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

// atDelimiter reports whether a literal or number ends at r.i, as JSON
// requires.
func (r *jsonReader) atDelimiter() bool {
	if r.i == len(r.s) {
		return true
	}
	switch r.s[r.i] {
	case ' ', '\t', '\r', '\n', ',', '}', ']':
		return true
	}
	return false
}

func (r *jsonReader) message(m protoreflect.Message, plan *messagePlan, at unsafe.Pointer, depth int) bool {
	if depth > maxFastDepth || !plan.plain || !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	fields := plan.md.Fields()
	var seen, seenOneofs uint64
	for {
		r.space()
		name, ok := r.stringValue(false)
		if !ok {
			return false
		}
		fd := plan.field(fields, name)
		if fd == nil || !r.next(':') || r.peek() == 'n' {
			// An unknown field (protojson checks what it skips), or null.
			return false
		}
		bit := uint64(1) << fd.Index()
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch {
		case fd.IsMap():
			return false
		case fd.IsList():
			if !r.list(m.Mutable(fd).List(), fd, depth) {
				return false
			}
		default:
			if od := fd.ContainingOneof(); od != nil {
				obit := uint64(1) << od.Index()
				if seenOneofs&obit != 0 {
					return false
				}
				seenOneofs |= obit
			}
			if !r.singularField(m, fd, plan.timestamps.field(at, fd.Index()), depth) {
				return false
			}
		}
		if r.next(',') {
			continue
		}
		return r.next('}')
	}
}

// singularField reads the value of fd, a singular field, into m; inPlace
// is where m keeps fd when it is a Timestamp field read in place
// (fastjson_inplace.go), else nil.
func (r *jsonReader) singularField(m protoreflect.Message, fd protoreflect.FieldDescriptor, inPlace **timestamppb.Timestamp, depth int) bool {
	if inPlace != nil {
		secs, nanos, ok := r.timestampValue()
		if ok {
			*inPlace = &timestamppb.Timestamp{Seconds: secs, Nanos: nanos}
		}
		return ok
	}
	var fresh protoreflect.Value
	if fd.Kind() == protoreflect.MessageKind {
		fresh = newMessage(fd, m.NewField)
	}
	v, ok := r.singular(fresh, fd, depth)
	if ok {
		m.Set(fd, v)
	}
	return ok
}

func (r *jsonReader) list(l protoreflect.List, fd protoreflect.FieldDescriptor, depth int) bool {
	if !r.next('[') {
		return false
	}
	if r.next(']') {
		return true
	}
	for {
		if r.peek() == 'n' {
			return false
		}
		var elem protoreflect.Value
		if fd.Kind() == protoreflect.MessageKind {
			elem = newMessage(fd, func(protoreflect.FieldDescriptor) protoreflect.Value { return l.NewElement() })
		}
		v, ok := r.singular(elem, fd, depth)
		if !ok {
			return false
		}
		l.Append(v)
		if r.next(',') {
			continue
		}
		return r.next(']')
	}
}

// timestampDescriptor is the Timestamp of the generated timestamppb,
// which fields of that type hold in generated code (and dynamic messages
// built on the same registry accept).
var timestampDescriptor = (*timestamppb.Timestamp)(nil).ProtoReflect().Descriptor()

// newMessage makes an empty message for fd: a Timestamp directly, which
// spares reflection's allocations, and others with newField.
func newMessage(fd protoreflect.FieldDescriptor, newField func(protoreflect.FieldDescriptor) protoreflect.Value) protoreflect.Value {
	if fd.Message() == timestampDescriptor {
		return protoreflect.ValueOfMessage(new(timestamppb.Timestamp).ProtoReflect())
	}
	return newField(fd)
}

// singular reads one value of fd; a message is read into fresh, a new
// message of fd's type.
func (r *jsonReader) singular(fresh protoreflect.Value, fd protoreflect.FieldDescriptor, depth int) (protoreflect.Value, bool) {
	r.space()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		switch {
		case strings.HasPrefix(r.s[r.i:], "true"):
			r.i += 4
			return protoreflect.ValueOfBool(true), r.atDelimiter()
		case strings.HasPrefix(r.s[r.i:], "false"):
			r.i += 5
			return protoreflect.ValueOfBool(false), r.atDelimiter()
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if n, ok := r.integer(true, 32); ok {
			return protoreflect.ValueOfInt32(int32(n)), true
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if n, ok := r.integer(true, 64); ok {
			return protoreflect.ValueOfInt64(n), true
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if s, ok := r.digits(false); ok {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				return protoreflect.ValueOfUint32(uint32(n)), true
			}
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if s, ok := r.digits(false); ok {
			if n, err := strconv.ParseUint(s, 10, 64); err == nil {
				return protoreflect.ValueOfUint64(n), true
			}
		}
	case protoreflect.FloatKind:
		if f, ok := r.float(32); ok {
			return protoreflect.ValueOfFloat32(float32(f)), true
		}
	case protoreflect.DoubleKind:
		if f, ok := r.float(64); ok {
			return protoreflect.ValueOfFloat64(f), true
		}
	case protoreflect.StringKind:
		if s, ok := r.stringValue(true); ok {
			return protoreflect.ValueOfString(s), true
		}
	case protoreflect.BytesKind:
		if s, ok := r.rawString(); ok {
			// protojson's reading: standard or URL alphabet, padded or not.
			enc := base64.StdEncoding
			if strings.ContainsAny(s, "-_") {
				enc = base64.URLEncoding
			}
			if len(s)%4 != 0 {
				enc = enc.WithPadding(base64.NoPadding)
			}
			if b, err := enc.DecodeString(s); err == nil {
				return protoreflect.ValueOfBytes(b), true
			}
		}
	case protoreflect.EnumKind:
		ed := fd.Enum()
		if ed.FullName() == nullValueName {
			break
		}
		if r.i < len(r.s) && r.s[r.i] == '"' {
			// A name protojson does not know it skips, leaving the field
			// unset: not this path's business.
			if s, ok := r.rawString(); ok {
				if ev := ed.Values().ByName(protoreflect.Name(s)); ev != nil {
					return protoreflect.ValueOfEnum(ev.Number()), true
				}
			}
			break
		}
		if n, ok := r.integer(false, 32); ok {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), true
		}
	case protoreflect.MessageKind:
		if fd.Message().FullName() == timestampName {
			return fresh, r.timestamp(fresh.Message())
		}
		nested := fresh.Message()
		return fresh, r.message(nested, planOf(nested.Descriptor()), nil, depth+1)
	}
	return protoreflect.Value{}, false
}
