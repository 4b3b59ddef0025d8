package codec

import (
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// google.protobuf.Timestamp in its canonical RFC 3339 UTC form, read
// without package time's layouts.

// timestamp reads a Timestamp into m exactly as protojson does.
func (r *jsonReader) timestamp(m protoreflect.Message) bool {
	secs, nanos, ok := r.timestampValue()
	if !ok {
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

// timestampValue reads a Timestamp's seconds and nanoseconds exactly as
// protojson does.
func (r *jsonReader) timestampValue() (secs int64, nanos int32, ok bool) {
	if !r.next('"') {
		return 0, 0, false
	}
	// The canonical form is plain ASCII, which parseUTCTimestamp checks
	// character by character; anything else is checked as a string first.
	end := strings.IndexByte(r.s[r.i:], '"')
	if end < 0 {
		return 0, 0, false
	}
	s := r.s[r.i : r.i+end]
	secs, nanos, ok = parseUTCTimestamp(s)
	if !ok && !plainJSONText(s) {
		return 0, 0, false
	}
	r.i += end + 1
	if !ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, 0, false
		}
		secs, nanos = t.Unix(), int32(t.Nanosecond())
		i := strings.LastIndexByte(s, '.')
		j := strings.LastIndexAny(s, "Z-+")
		if i >= 0 && j >= i && j-i > len(".999999999") {
			return 0, 0, false
		}
	}
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return 0, 0, false
	}
	return secs, nanos, true
}

// parseUTCTimestamp reads the form every protojson writer uses,
// YYYY-MM-DDTHH:MM:SS[.1 to 9 digits]Z, as time.Parse(time.RFC3339Nano)
// would; ok is false for anything else, which is then left to time.Parse.
func parseUTCTimestamp(s string) (secs int64, nanos int32, ok bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[len(s)-1] != 'Z' ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	century, yy := digitPair(s, 0), digitPair(s, 2)
	year, month, day := century*100+yy, digitPair(s, 5), digitPair(s, 8)
	hour, minute, second := digitPair(s, 11), digitPair(s, 14), digitPair(s, 17)
	if century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
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

// digitPair is the value of the two decimal digits at s[i:i+2], -1 when
// either is something else: half the work of decimal's digit at a time.
func digitPair(s string, i int) int {
	hi, lo := s[i]-'0', s[i+1]-'0' // a byte below '0' wraps above 9
	if hi > 9 || lo > 9 {
		return -1
	}
	return int(hi)*10 + int(lo)
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
