package datastream

import (
	"compress/flate"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/lkrpc/lkrpc/internal/randtext"
)

// The default level depends on the payload: near-random ones get
// NearRandomLevel, small structured ones DefaultSmallLevel, large ones
// DefaultLevel; an explicit level is used for everything.
func TestLevelForPayload(t *testing.T) {
	auto, err := SendOptions{Compress: true}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := SendOptions{Compress: true, Level: flate.BestCompression}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	smallJSON := jsonText(DefaultLevelMin-1, 1)[:DefaultLevelMin-1]
	largeJSON := jsonText(8<<20, 2)
	largeRandom := highEntropyText(DefaultLevelMin, 3)
	cases := []struct {
		name string
		s    settings
		text string
		want int
	}{
		{"small JSON", auto, smallJSON, DefaultSmallLevel},
		{"large JSON", auto, largeJSON, DefaultLevel},
		{"large near-random", auto, largeRandom, NearRandomLevel},
		{"base64", auto, randtext.New(probeBytes, 4), NearRandomLevel},
		{"base64, small", auto, randtext.New(DefaultCompressMin, 4), NearRandomLevel},
		{"explicit, small", fixed, smallJSON, flate.BestCompression},
		{"explicit, large random", fixed, largeRandom, flate.BestCompression},
	}
	for _, c := range cases {
		got, _, err := c.s.levelFor(c.text)
		if err != nil || got != c.want {
			t.Errorf("%s: levelFor = %d, %v; want %d", c.name, got, err, c.want)
		}
	}
}

// The two defaults really differ in what they produce on a large payload,
// so the size rule is not a no-op: level 2 must save more than BestSpeed on
// typical JSON.
func TestDefaultLevelSavesMoreOnLargeJSON(t *testing.T) {
	text := jsonText(DefaultLevelMin*2, 3)
	small, err := deflate(text, DefaultSmallLevel, len(text))
	if err != nil || small == nil {
		t.Fatalf("deflate at %d: %v", DefaultSmallLevel, err)
	}
	large, err := deflate(text, DefaultLevel, len(text))
	if err != nil || large == nil {
		t.Fatalf("deflate at %d: %v", DefaultLevel, err)
	}
	if len(large) >= len(small) {
		t.Fatalf("level %d gave %d bytes, level %d %d: the larger default must compress better", DefaultLevel, len(large), DefaultSmallLevel, len(small))
	}
	roundTrip(t, text, allOn)
}

// Compressing a small payload must not allocate far more than the payload:
// feeding flate once took a 32 KiB copy buffer per call, whatever the size,
// and a writer of its own costs hundreds of KiB (deflate pools them).
func TestSmallDeflateAllocatesLittle(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's sync.Pool drops pooled writers at random")
	}
	text := jsonText(1024, 5)[:1024]
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 10 { // fills the pools (one writer per P it may run on)
		if _, err := deflate(text, DefaultSmallLevel, len(text)); err != nil {
			t.Fatal(err)
		}
	}
	const runs = 1000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if z, err := deflate(text, DefaultSmallLevel, len(text)); err != nil || z == nil {
			t.Fatalf("deflate: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 8<<10 {
		t.Fatalf("compressing %d bytes allocates %d bytes per call", len(text), perRun)
	}
}

// Near-random text (base64 of binary data) saves a quarter with Huffman
// coding alone, where BestSpeed, finding no matches, stores it and saves
// nothing: the reason for NearRandomLevel.
func TestNearRandomLevelSavesWhereBestSpeedDoesNot(t *testing.T) {
	text := randtext.New(256<<10, 5)
	huff, err := deflate(text, NearRandomLevel, len(text))
	if err != nil || huff == nil || len(huff) > len(text)*4/5 {
		t.Fatalf("Huffman only: %d of %d bytes, %v", len(huff), len(text), err)
	}
	fast, err := deflate(text, flate.BestSpeed, len(text))
	if err != nil || (fast != nil && savesEnough(len(fast), len(text))) {
		t.Fatalf("BestSpeed: %d of %d bytes, %v: it does save, so NearRandomLevel may go", len(fast), len(text), err)
	}
	roundTrip(t, text, SendOptions{Inline: true, Compress: true})
}
