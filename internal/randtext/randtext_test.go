package randtext_test

import (
	"bytes"
	"compress/flate"
	"strings"
	"testing"

	"github.com/lkrpc/lkrpc/internal/randtext"
)

func TestSameSeedSameTextOtherSeedOther(t *testing.T) {
	a, b, c := randtext.New(4096, 1), randtext.New(4096, 1), randtext.New(4096, 2)
	if len(a) != 4096 {
		t.Fatalf("len = %d, want 4096", len(a))
	}
	if a != b {
		t.Fatal("the same seed gave different text")
	}
	if a == c {
		t.Fatal("different seeds gave the same text")
	}
	for i := range len(a) {
		if !strings.ContainsRune(randtext.Alphabet, rune(a[i])) {
			t.Fatalf("byte %d is %q, not from the alphabet", i, a[i])
		}
	}
}

// The tests rely on the text deflating to between 70 % and 80 % of its size
// (a 15 KiB payload fits one packet compressed, 100 KiB needs a stream).
func TestDeflatesByAboutAQuarter(t *testing.T) {
	text := randtext.New(1<<20, 3)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 2)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	ratio := float64(buf.Len()) / float64(len(text))
	if ratio < 0.70 || ratio > 0.80 {
		t.Fatalf("deflates to %.1f %%, want 70–80 %%", 100*ratio)
	}
	t.Logf("deflates to %.1f %%", 100*ratio)
}
