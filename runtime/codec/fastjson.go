package codec

import (
	"encoding/base64"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The JSON codec's own encoder and decoder for the messages most methods
// carry: scalars, strings, bytes, enums, nested and repeated messages and
// google.protobuf.Timestamp. They write and read what protojson does (the
// same fields in the same order, the same spelling of every value: the
// TypeScript end reads the payload with protobuf-es fromJson), in a fraction
// of its time and allocations. Whatever else a message holds (maps, other
// well-known types, groups, extensions, proto2 required fields, a JSON
// null, an unknown field, a value in a spelling only protojson reads, …)
// makes them give up, and protojson does the whole message instead, errors
// included: they never accept what protojson refuses nor decode anything
// differently (fastjson_test.go checks both against protojson).

// maxFastDepth bounds the nesting the fast paths follow; deeper messages go
// to protojson and its own recursion limit.
const maxFastDepth = 64

const (
	timestampName protoreflect.FullName = "google.protobuf.Timestamp"
	nullValueName protoreflect.FullName = "google.protobuf.NullValue"
	wktPackage    protoreflect.FullName = "google.protobuf"

	// The range protojson allows a Timestamp: 0001-01-01T00:00:00Z to
	// 9999-12-31T23:59:59Z.
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// plainMessage reports whether the fast paths may handle a message of md
// as an object of its fields.
func plainMessage(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() != wktPackage && md.ExtensionRanges().Len() == 0 &&
		md.RequiredNumbers().Len() == 0 && md.Fields().Len() <= 64 && md.Oneofs().Len() <= 64
}

// messagePlan is what the fast paths need to know of a message type,
// worked out once per descriptor.
type messagePlan struct {
	md    protoreflect.MessageDescriptor
	plain bool     // plainMessage
	keys  []string // by field index: `"jsonName":` as protojson writes it
	// names are the JSON names by field index, for messages of up to
	// maxScannedFields fields (a scan beats the descriptor's map there).
	names []string
}

const maxScannedFields = 8

// field is the field a JSON object names, by its JSON name or else its
// proto name, as protojson finds it.
func (p *messagePlan) field(fields protoreflect.FieldDescriptors, name string) protoreflect.FieldDescriptor {
	for i, n := range p.names {
		if n == name {
			return fields.Get(i)
		}
	}
	if p.names == nil {
		if fd := fields.ByJSONName(name); fd != nil {
			return fd
		}
	}
	return fields.ByTextName(name)
}

var (
	plans     sync.Map // protoreflect.MessageDescriptor → *messagePlan
	planCount atomic.Int32
)

// maxPlans bounds the plans kept: a program that makes descriptors without
// end (compiling .proto files at run time) works its plans out each time
// beyond it rather than growing the cache.
const maxPlans = 4096

// planSlots is a direct-mapped cache in front of plans, by the address
// of the descriptor: a hit costs a load and a comparison where sync.Map
// hashes the interface.
var planSlots [64]atomic.Pointer[messagePlan]

func planOf(md protoreflect.MessageDescriptor) *messagePlan {
	slot := &planSlots[(*[2]uintptr)(unsafe.Pointer(&md))[1]>>4%uintptr(len(planSlots))]
	if p := slot.Load(); p != nil && p.md == md {
		return p
	}
	p := loadPlan(md)
	slot.Store(p)
	return p
}

func loadPlan(md protoreflect.MessageDescriptor) *messagePlan {
	if p, ok := plans.Load(md); ok {
		return p.(*messagePlan)
	}
	fields := md.Fields()
	p := &messagePlan{md: md, plain: plainMessage(md), keys: make([]string, fields.Len())}
	if len(p.keys) <= maxScannedFields {
		p.names = make([]string, len(p.keys))
		for i := range p.names {
			p.names[i] = fields.Get(i).JSONName()
		}
	}
	for i := range p.keys {
		key, ok := appendJSONString(nil, fields.Get(i).JSONName())
		p.plain = p.plain && ok
		p.keys[i] = string(append(key, ':'))
	}
	if planCount.Load() < maxPlans {
		if v, loaded := plans.LoadOrStore(md, p); loaded {
			return v.(*messagePlan)
		}
		planCount.Add(1)
	}
	return p
}

// appendMessageJSON appends m's protojson form (protojson.MarshalOptions{}
// without indentation) to b; ok is false when m holds something only
// protojson handles.
func appendMessageJSON(b []byte, m protoreflect.Message, depth int) (_ []byte, ok bool) {
	md := m.Descriptor()
	plan := planOf(md)
	if depth > maxFastDepth || !plan.plain {
		return b, false
	}
	b = append(b, '{')
	fields := md.Fields()
	first := true
	for i, key := range plan.keys {
		fd := fields.Get(i)
		var v protoreflect.Value
		if fd.Message() != nil && fd.Cardinality() != protoreflect.Repeated {
			// A message field is set when Get finds one: one look-up
			// where Has and Get take two.
			if v = m.Get(fd); !v.Message().IsValid() {
				continue
			}
		} else if m.Has(fd) {
			v = m.Get(fd)
		} else {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, key...)
		switch {
		case fd.IsMap():
			return b, false
		case fd.IsList():
			l := v.List()
			b = append(b, '[')
			for j, ln := 0, l.Len(); j < ln; j++ {
				if j > 0 {
					b = append(b, ',')
				}
				if b, ok = appendSingularJSON(b, fd, l.Get(j), depth); !ok {
					return b, false
				}
			}
			b = append(b, ']')
		default:
			if b, ok = appendSingularJSON(b, fd, v, depth); !ok {
				return b, false
			}
		}
	}
	return append(b, '}'), true
}

// appendSingularJSON appends one value of fd as protojson writes it.
func appendSingularJSON(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value, depth int) ([]byte, bool) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool()), true
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, v.Int(), 10), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendInt(b, v.Int(), 10), '"'), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendUint(b, v.Uint(), 10), '"'), true
	case protoreflect.FloatKind:
		return appendJSONFloat(b, v.Float(), 32), true
	case protoreflect.DoubleKind:
		return appendJSONFloat(b, v.Float(), 64), true
	case protoreflect.StringKind:
		return appendJSONString(b, v.String())
	case protoreflect.BytesKind:
		b = append(b, '"')
		return append(base64.StdEncoding.AppendEncode(b, v.Bytes()), '"'), true
	case protoreflect.EnumKind:
		ed := fd.Enum()
		if ed.FullName() == nullValueName {
			return b, false
		}
		if ev := ed.Values().ByNumber(v.Enum()); ev != nil {
			return appendJSONString(b, string(ev.Name()))
		}
		return strconv.AppendInt(b, int64(v.Enum()), 10), true
	case protoreflect.MessageKind:
		if fd.Message().FullName() == timestampName {
			return appendTimestampJSON(b, v.Message())
		}
		return appendMessageJSON(b, v.Message(), depth+1)
	}
	return b, false // groups
}

// appendTimestampJSON writes a Timestamp as protojson does: RFC 3339 in UTC
// with 0, 3, 6 or 9 fractional digits. Out of range is protojson's error.
func appendTimestampJSON(b []byte, m protoreflect.Message) ([]byte, bool) {
	var secs, nanos int64
	if ts, ok := m.Interface().(*timestamppb.Timestamp); ok {
		secs, nanos = ts.GetSeconds(), int64(ts.GetNanos())
	} else {
		fields := m.Descriptor().Fields()
		secs, nanos = m.Get(fields.ByNumber(1)).Int(), m.Get(fields.ByNumber(2)).Int()
	}
	if secs < minTimestampSeconds || secs > maxTimestampSeconds || nanos < 0 || nanos > 999_999_999 {
		return b, false
	}
	days, rem := secs/86400, secs%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	year, month, day := civilDate(days)
	hour, minute, second := int(rem/3600), int(rem/60%60), int(rem%60)
	b = append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+second/10), byte('0'+second%10))
	if nanos != 0 {
		digits := 9
		for n := nanos; digits > 3 && n%1000 == 0; n /= 1000 {
			digits -= 3
		}
		b = append(b, '.')
		b = appendDigits(b, int(nanos)/pow10[9-digits], digits)
	}
	return append(b, 'Z', '"'), true
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// appendDigits appends the non-negative n in exactly width decimal digits.
func appendDigits(b []byte, n, width int) []byte {
	start := len(b)
	for range width {
		b = append(b, '0')
	}
	for i := len(b) - 1; i >= start && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}

// escapedChars are the characters a JSON string escapes with a letter,
// and escapeLetters those letters, in the same order.
const (
	escapedChars  = "\"\\\b\f\n\r\t"
	escapeLetters = "\"\\bfnrt"
)

// appendJSONString is protojson's string encoding; ok is false for invalid
// UTF-8, which protojson refuses.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return b, false
			}
			i += n
			continue
		}
		if c >= ' ' && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, '\\')
		if k := strings.IndexByte(escapedChars, c); k >= 0 {
			b = append(b, escapeLetters[k])
		} else {
			b = append(b, 'u')
			b = append(b, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
			b = strconv.AppendUint(b, uint64(c), 16)
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// appendJSONFloat is protojson's number format: encoding/json's, with NaN
// and the infinities as strings.
func appendJSONFloat(b []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(b, `"NaN"`...)
	case math.IsInf(n, +1):
		return append(b, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, n, format, -1, bitSize)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// jsonReader decodes protojson (protojson.UnmarshalOptions{DiscardUnknown:
// true}) into messages, giving up (false) on anything it does not read
// exactly as protojson would; the caller then resets the message and lets
// protojson decode it.
type jsonReader struct {
	s string
	i int
}

// decodeMessageJSON decodes payload into m, which is empty.
func decodeMessageJSON(payload string, m protoreflect.Message) bool {
	r := jsonReader{s: payload}
	if !r.message(m, 0) {
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

func (r *jsonReader) message(m protoreflect.Message, depth int) bool {
	md := m.Descriptor()
	plan := planOf(md)
	if depth > maxFastDepth || !plan.plain || !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	fields := md.Fields()
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
			var fresh protoreflect.Value
			if fd.Kind() == protoreflect.MessageKind {
				fresh = newMessage(fd, m.NewField)
			}
			v, ok := r.singular(fresh, fd, depth)
			if !ok {
				return false
			}
			m.Set(fd, v)
		}
		if r.next(',') {
			continue
		}
		return r.next('}')
	}
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
		return fresh, r.message(fresh.Message(), depth+1)
	}
	return protoreflect.Value{}, false
}

// integer reads an integer as a JSON number or, when quoted is allowed, a
// string of one: plain decimal digits only (protojson also reads fractions
// and exponents that come to an integer; those are left to it).
func (r *jsonReader) integer(quoted bool, bitSize int) (int64, bool) {
	if !quoted && r.i < len(r.s) && r.s[r.i] == '"' {
		return 0, false
	}
	s, ok := r.digits(true)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, bitSize)
	return n, err == nil
}

// digits reads -?(0|[1-9][0-9]*), bare and followed by a delimiter, or
// quoted; minus says whether a sign may come.
func (r *jsonReader) digits(minus bool) (string, bool) {
	quoted := r.i < len(r.s) && r.s[r.i] == '"'
	j := r.i
	if quoted {
		j++
	}
	start := j
	if minus && j < len(r.s) && r.s[j] == '-' {
		j++
	}
	d := j
	for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
		j++
	}
	if j == d || (r.s[d] == '0' && j > d+1) {
		return "", false
	}
	s := r.s[start:j]
	if quoted {
		if j == len(r.s) || r.s[j] != '"' {
			return "", false
		}
		j++
	}
	r.i = j
	return s, r.atDelimiter()
}

// float reads a bare JSON number, or "NaN", "Infinity" or "-Infinity"
// (protojson also reads quoted numbers; those are left to it).
func (r *jsonReader) float(bitSize int) (float64, bool) {
	if r.i < len(r.s) && r.s[r.i] == '"' {
		s, ok := r.rawString()
		if !ok || !r.atDelimiter() {
			return 0, false
		}
		switch s {
		case "NaN":
			return math.NaN(), true
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		}
		return 0, false
	}
	j := r.i
	if j < len(r.s) && r.s[j] == '-' {
		j++
	}
	d := j
	for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
		j++
	}
	if j == d || (r.s[d] == '0' && j > d+1) {
		return 0, false
	}
	if j < len(r.s) && r.s[j] == '.' {
		j++
		f := j
		for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
			j++
		}
		if j == f {
			return 0, false
		}
	}
	if j < len(r.s) && (r.s[j] == 'e' || r.s[j] == 'E') {
		j++
		if j < len(r.s) && (r.s[j] == '+' || r.s[j] == '-') {
			j++
		}
		e := j
		for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
			j++
		}
		if j == e {
			return 0, false
		}
	}
	s := r.s[r.i:j]
	r.i = j
	if !r.atDelimiter() {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, bitSize)
	return f, err == nil
}

// rawString reads a string without escapes and returns its contents, which
// share the payload's memory.
func (r *jsonReader) rawString() (string, bool) {
	if !r.next('"') {
		return "", false
	}
	end := strings.IndexByte(r.s[r.i:], '"')
	if end < 0 {
		return "", false
	}
	s := r.s[r.i : r.i+end]
	if !plainJSONText(s) {
		return "", false
	}
	r.i += end + 1
	return s, true
}

// plainJSONText reports whether s is valid UTF-8 without anything a JSON
// string would escape (a backslash or control character).
func plainJSONText(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == '\\' {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}

// stringValue reads a string, escapes included. Without escapes it shares
// the payload's memory unless own asks for a copy.
func (r *jsonReader) stringValue(own bool) (string, bool) {
	if r.i >= len(r.s) || r.s[r.i] != '"' {
		return "", false
	}
	start := r.i + 1
	j := start
	for j < len(r.s) && r.s[j] != '"' && r.s[j] != '\\' && r.s[j] >= ' ' {
		j++
	}
	if j < len(r.s) && r.s[j] == '"' {
		s := r.s[start:j]
		r.i = j + 1
		if own {
			s = strings.Clone(s)
		}
		return s, utf8.ValidString(s)
	}
	b := make([]byte, 0, j-start+16)
	b = append(b, r.s[start:j]...)
	for j < len(r.s) {
		c := r.s[j]
		switch {
		case c == '"':
			r.i = j + 1
			return string(b), utf8.Valid(b)
		case c < ' ':
			return "", false
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(r.s) {
			return "", false
		}
		e := r.s[j+1]
		k := strings.IndexByte(escapeLetters, e)
		switch {
		case k >= 0:
			b = append(b, escapedChars[k])
		case e == '/':
			b = append(b, e)
		case e == 'u':
			if j+6 > len(r.s) {
				return "", false
			}
			n, err := strconv.ParseUint(r.s[j+2:j+6], 16, 16)
			if err != nil || (n >= 0xd800 && n < 0xe000) {
				return "", false // surrogates: protojson's
			}
			b = utf8.AppendRune(b, rune(n))
			j += 4
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// timestamp reads a Timestamp exactly as protojson does.
func (r *jsonReader) timestamp(m protoreflect.Message) bool {
	if !r.next('"') {
		return false
	}
	// The canonical form is plain ASCII, which parseUTCTimestamp checks
	// character by character; anything else is checked as a string first.
	end := strings.IndexByte(r.s[r.i:], '"')
	if end < 0 {
		return false
	}
	s := r.s[r.i : r.i+end]
	secs, nanos, ok := parseUTCTimestamp(s)
	if !ok && !plainJSONText(s) {
		return false
	}
	r.i += end + 1
	if !ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false
		}
		secs, nanos = t.Unix(), int32(t.Nanosecond())
		i := strings.LastIndexByte(s, '.')
		j := strings.LastIndexAny(s, "Z-+")
		if i >= 0 && j >= i && j-i > len(".999999999") {
			return false
		}
	}
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return false
	}
	if ts, ok := m.Interface().(*timestamppb.Timestamp); ok {
		ts.Seconds, ts.Nanos = secs, nanos
		return true
	}
	fields := m.Descriptor().Fields()
	m.Set(fields.ByNumber(1), protoreflect.ValueOfInt64(secs))
	m.Set(fields.ByNumber(2), protoreflect.ValueOfInt32(nanos))
	return true
}

// parseUTCTimestamp reads the form every protojson writer uses,
// YYYY-MM-DDTHH:MM:SS[.1 to 9 digits]Z, as time.Parse(time.RFC3339Nano)
// would; ok is false for anything else, which is then left to time.Parse.
func parseUTCTimestamp(s string) (secs int64, nanos int32, ok bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	year, month, day := decimal(s[0:4]), decimal(s[5:7]), decimal(s[8:10])
	hour, minute, second := decimal(s[11:13]), decimal(s[14:16]), decimal(s[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 {
		return 0, 0, false
	}
	if frac := s[19 : len(s)-1]; frac != "" {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return 0, 0, false
		}
		n := decimal(frac[1:])
		if n < 0 {
			return 0, 0, false
		}
		nanos = int32(n * pow10[10-len(frac)])
	}
	secs = daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+second)
	return secs, nanos, true
}

// civilDate is the proleptic Gregorian date of the day days after
// 1970-01-01, and daysSinceEpoch its inverse (Howard Hinnant's
// civil_from_days and days_from_civil).
func civilDate(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64((month + 9) % 12)
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// decimal is the value of s's digits, -1 when s has anything else.
func decimal(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// daysIn is the number of days of month in year (proleptic Gregorian).
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
