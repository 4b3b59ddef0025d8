package frame

import (
	"errors"
	"strings"
	"testing"
)

// reply is a reply's content: messages then an end.
func reply(t testing.TB, end Status, payloads ...string) string {
	var b strings.Builder
	for _, p := range payloads {
		m, err := Message(p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(m)
	}
	b.WriteString(End(end))
	return b.String()
}

func TestReaderSplitsAnyCut(t *testing.T) {
	content := reply(t, Status{Code: 4040, Message: "voice", Data: `{"details":[]}`}, `{"text":"hé"}`, "", "QUJD")
	for cut := 1; cut <= len(content); cut++ {
		r := NewReader(1 << 10)
		var got []Frame
		for off := 0; off < len(content); off += cut {
			fs, err := r.Write([]byte(content[off:min(off+cut, len(content))]))
			if err != nil {
				t.Fatalf("cut %d: %v", cut, err)
			}
			got = append(got, fs...)
		}
		if len(got) != 4 || got[0].Payload != `{"text":"hé"}` || got[1].Payload != "" || got[2].Payload != "QUJD" ||
			got[3].Kind != KindEnd || got[3].Status.Code != 4040 || got[3].Status.Data != `{"details":[]}` {
			t.Fatalf("cut %d: frames %+v", cut, got)
		}
		if got[0].Size != len(`m{"text":"hé"}`)+1 || got[1].Size != 2 {
			t.Fatalf("cut %d: sizes %d, %d", cut, got[0].Size, got[1].Size)
		}
	}
}

func TestReaderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"unknown kind", "x123\n", "unknown frame kind"},
		{"empty line", "\n", "empty line"},
		{"bad status", "e{nope\n", "not a JSON object"},
		{"after the end", End(Status{}) + "m1\n", "after the end frame"},
		{"invalid UTF-8", "m\xff\n", "not valid UTF-8"},
	} {
		_, err := NewReader(100).Write([]byte(tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestReaderBoundsAFrame(t *testing.T) {
	r := NewReader(10)
	if fs, err := r.Write([]byte("m12345678\n")); err != nil || len(fs) != 1 {
		t.Fatalf("a 10-byte frame: %v, %v", fs, err)
	}
	// Without its newline a frame is refused as soon as it cannot fit,
	// so nothing past the bound is held.
	_, err := r.Write([]byte("m123456789"))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Max != 10 {
		t.Fatalf("err = %v, want TooLargeError", err)
	}
	if _, err := NewReader(10).Write([]byte("m1234567890\n")); !errors.As(err, &tl) {
		t.Fatalf("an 12-byte frame in one piece: err = %v", err)
	}
}

func TestMessageRefusesNewline(t *testing.T) {
	if _, err := Message("a\nb"); !errors.Is(err, ErrNewline) {
		t.Fatalf("err = %v", err)
	}
	if End(Status{}) != "e{\"code\":0}\n" {
		t.Fatalf("End(ok) = %q", End(Status{}))
	}
}

// FuzzReader: any content cut anywhere gives the same frames as in one
// piece, never a frame over the bound, and never a panic.
func FuzzReader(f *testing.F) {
	f.Add([]byte(reply(f, Status{Code: 1500, Message: "x"}, "a", `{"b":1}`)), 3)
	f.Add([]byte("m\n\ne{}\n"), 1)
	f.Add([]byte("mhello"), 2)
	f.Fuzz(func(t *testing.T, content []byte, cut int) {
		if cut <= 0 {
			cut = 1
		}
		whole, werr := NewReader(64).Write(content)
		r := NewReader(64)
		var pieces []Frame
		var perr error
		for off := 0; off < len(content) && perr == nil; off += cut {
			var fs []Frame
			fs, perr = r.Write(content[off:min(off+cut, len(content))])
			pieces = append(pieces, fs...)
		}
		if (werr == nil) != (perr == nil) {
			t.Fatalf("whole: %v; in pieces of %d: %v", werr, cut, perr)
		}
		if werr == nil && len(whole) != len(pieces) {
			t.Fatalf("whole: %d frames; in pieces: %d", len(whole), len(pieces))
		}
		for i, fr := range pieces {
			if fr.Size > 64 {
				t.Fatalf("frame %d of %d bytes passed a 64-byte bound", i, fr.Size)
			}
			if werr == nil && (fr.Kind != whole[i].Kind || fr.Payload != whole[i].Payload || fr.Status != whole[i].Status) {
				t.Fatalf("frame %d differs: %+v vs %+v", i, fr, whole[i])
			}
		}
	})
}
