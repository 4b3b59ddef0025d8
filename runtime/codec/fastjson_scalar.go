package codec

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast decoder's numbers and strings, read exactly as protojson reads
// them or not at all.

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
	j = r.skipDigits(j)
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
	j = r.skipDigits(j)
	if j == d || (r.s[d] == '0' && j > d+1) {
		return 0, false
	}
	if j < len(r.s) && r.s[j] == '.' {
		j++
		f := j
		j = r.skipDigits(j)
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
		j = r.skipDigits(j)
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

// skipDigits returns the index of the first byte at or after j that is not
// an ASCII digit.
func (r *jsonReader) skipDigits(j int) int {
	for j < len(r.s) && r.s[j] >= '0' && r.s[j] <= '9' {
		j++
	}
	return j
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
