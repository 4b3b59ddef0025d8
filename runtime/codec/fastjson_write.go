package codec

import (
	"encoding/base64"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fast JSON encoder: protojson's output for the message shapes
// fastjson.go describes.

// appendMessageJSON appends m's protojson form (protojson.MarshalOptions{}
// without indentation) to b; ok is false when m holds something only
// protojson handles. plan is m's (planOf(m.Descriptor())), and at m's
// address when m is of plan's generated type (timestampFields.at), else nil.
func appendMessageJSON(b []byte, m protoreflect.Message, plan *messagePlan, at unsafe.Pointer, depth int) (_ []byte, ok bool) {
	if depth > maxFastDepth || !plan.plain {
		return b, false
	}
	b = append(b, '{')
	fields := plan.md.Fields()
	first := true
	for i, key := range plan.keys {
		fd := fields.Get(i)
		var v protoreflect.Value
		var ts *timestamppb.Timestamp // a Timestamp field read in place
		if p := plan.timestamps.field(at, i); p != nil {
			if ts = *p; ts == nil {
				continue
			}
		} else if fd.Message() != nil && fd.Cardinality() != protoreflect.Repeated {
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
		case ts != nil:
			if b, ok = appendTimestamp(b, ts.GetSeconds(), int64(ts.GetNanos())); !ok {
				return b, false
			}
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
		nested := v.Message()
		return appendMessageJSON(b, nested, planOf(nested.Descriptor()), nil, depth+1)
	}
	return b, false // groups
}

// appendTimestampJSON writes a Timestamp as protojson does: RFC 3339 in UTC
// with 0, 3, 6 or 9 fractional digits. Out of range is protojson's error.
func appendTimestampJSON(b []byte, m protoreflect.Message) ([]byte, bool) {
	if ts, ok := m.Interface().(*timestamppb.Timestamp); ok {
		return appendTimestamp(b, ts.GetSeconds(), int64(ts.GetNanos()))
	}
	fields := m.Descriptor().Fields()
	return appendTimestamp(b, m.Get(fields.ByNumber(1)).Int(), m.Get(fields.ByNumber(2)).Int())
}

// appendTimestamp writes the Timestamp secs, nanos as appendTimestampJSON
// does: into an array first, two digits at a time from a table, and then
// onto b in one append.
func appendTimestamp(b []byte, secs, nanos int64) ([]byte, bool) {
	if secs < minTimestampSeconds || secs > maxTimestampSeconds || nanos < 0 || nanos > 999_999_999 {
		return b, false
	}
	days, rem := secs/86400, secs%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	year, month, day := civilDate(days)
	var t [len(`"2006-01-02T15:04:05.999999999Z"`)]byte
	t[0], t[5], t[8], t[11], t[14], t[17] = '"', '-', '-', 'T', ':', ':'
	put2(t[1:], year/100)
	put2(t[3:], year%100)
	put2(t[6:], month)
	put2(t[9:], day)
	put2(t[12:], int(rem/3600))
	put2(t[15:], int(rem/60%60))
	put2(t[18:], int(rem%60))
	n := len(`"2006-01-02T15:04:05`)
	if nanos != 0 {
		digits := 9
		for v := nanos; digits > 3 && v%1000 == 0; v /= 1000 {
			digits -= 3
		}
		t[n] = '.'
		v := int(nanos) / pow10[9-digits]
		i := n + digits // the last digit's index
		for ; i > n+1; i -= 2 {
			put2(t[i-1:], v%100)
			v /= 100
		}
		if i == n+1 { // an odd number of digits: the first one
			t[i] = byte('0' + v)
		}
		n += 1 + digits
	}
	t[n], t[n+1] = 'Z', '"'
	return append(b, t[:n+2]...), true
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// twoDigits is "00" to "99", for put2.
var twoDigits = func() (t [200]byte) {
	for i := range 100 {
		t[2*i], t[2*i+1] = byte('0'+i/10), byte('0'+i%10)
	}
	return t
}()

// put2 writes v, 0 to 99, as two decimal digits at t[0:2].
func put2(t []byte, v int) {
	t[0], t[1] = twoDigits[2*v], twoDigits[2*v+1]
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
