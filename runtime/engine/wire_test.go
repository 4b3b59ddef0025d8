package engine

import (
	"math"
	"strconv"
	"testing"

	"github.com/google/uuid"
)

func TestParseRequestAttributes(t *testing.T) {
	valid := requestAttributes("id-1", "echo", 15000)
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for key, val := range valid {
			m[key] = val
		}
		if v == "<absent>" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		attrs   map[string]string
		ok      bool
		timeout int64
	}{
		{"valid", valid, true, 15000},
		{"no id", with(AttrRequestID, "<absent>"), false, 0},
		{"empty method", with(AttrRequestMethod, ""), false, 0},
		{"timeout not a number", with(AttrResponseTimeout, "15s"), false, 0},
		{"timeout absent", with(AttrResponseTimeout, "<absent>"), false, 0},
		{"version not a number", with(AttrRequestVersion, "two"), false, 0},
		{"negative timeout reads as default", with(AttrResponseTimeout, "-5"), true, 0},
		{"huge timeout is capped", with(AttrResponseTimeout, strconv.FormatInt(math.MaxInt64, 10)), true, maxTimeoutMs},
	}
	for _, c := range cases {
		got, ok := parseRequestAttributes(c.attrs)
		if ok != c.ok || (ok && got.timeoutMs != c.timeout) {
			t.Errorf("%s: got %+v, %v; want ok=%v timeout=%d", c.name, got, ok, c.ok, c.timeout)
		}
	}
}

// FuzzRequestAttributes feeds arbitrary attribute values to the parser: it
// never panics, a timeout it accepts always converts to a non-negative
// duration, and what requestAttributes writes always parses back.
func FuzzRequestAttributes(f *testing.F) {
	f.Add("11111111-2222-4333-8444-555555555555", "echo", "15000", "2")
	f.Add("", "echo", "15000", "2")
	f.Add("id", "", "-1", "1")
	f.Add("id", "m", "9223372036854775807", "2")
	f.Add("id", "m", "1e3", "+2")
	f.Add("id", "m", " 15000", "2 ")
	f.Fuzz(func(t *testing.T, id, method, timeout, version string) {
		got, ok := parseRequestAttributes(map[string]string{
			AttrRequestID: id, AttrRequestMethod: method, AttrResponseTimeout: timeout, AttrRequestVersion: version,
		})
		if ok {
			if got.id != id || got.method != method {
				t.Fatalf("parsed %+v from id %q method %q", got, id, method)
			}
			if e := (&Engine{cfg: config{defaultTimeout: DefaultTimeout}}).handlerTimeout(got.timeoutMs); e <= 0 {
				t.Fatalf("timeout %q became duration %v", timeout, e)
			}
		}
		if id == "" || method == "" {
			return
		}
		ms, err := strconv.ParseUint(timeout, 10, 32)
		if err != nil {
			return
		}
		back, ok := parseRequestAttributes(requestAttributes(id, method, uint32(ms)))
		if !ok || back.id != id || back.method != method || back.timeoutMs != int64(ms) || back.version != versionStream {
			t.Fatalf("requestAttributes(%q, %q, %d) parsed back as %+v, %v", id, method, ms, back, ok)
		}
	})
}

// newUUID's ids parse as version 4 RFC 4122 UUIDs and differ.
func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := newUUID()
		u, err := uuid.Parse(s)
		if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != s {
			t.Fatalf("newUUID() = %q: %v (version %d, variant %v)", s, err, u.Version(), u.Variant())
		}
		if seen[s] {
			t.Fatalf("newUUID() repeated %q", s)
		}
		seen[s] = true
	}
}
