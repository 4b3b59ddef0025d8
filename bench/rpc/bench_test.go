package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/randtext"
)

func TestSamplesMedianAndQuantile(t *testing.T) {
	s := samples{5 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}
	if got := s.median(); got != 3*time.Millisecond {
		t.Fatalf("median = %v, want 3ms", got)
	}
	if got := s.quantile(0.9); got != 5*time.Millisecond {
		t.Fatalf("p90 = %v, want 5ms", got)
	}
	if s[0] != 5*time.Millisecond {
		t.Fatal("median sorted the samples in place")
	}
	if got := (samples{}).median(); got != 0 {
		t.Fatalf("median of nothing = %v", got)
	}
}

func TestPrintTableIsMarkdown(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, []Row{
		{ID: "1", Figure: "a | b", Baseline: "base", Ratio: 1.234, Target: "≤ 1.05×", Status: "FAIL"},
		{ID: "7b", Figure: "only a figure", Ratio: math.NaN(), Status: "–"},
	})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want header, rule and 2 rows:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if strings.Count(l, "|") != 7 {
			t.Fatalf("line %q has %d pipes, want 7 (6 cells)", l, strings.Count(l, "|"))
		}
	}
	if !strings.Contains(lines[2], "| 1.23× |") || !strings.Contains(lines[2], "a / b") {
		t.Fatalf("row %q: want the ratio and the pipe escaped", lines[2])
	}
	if !strings.Contains(lines[3], "| – | – |") {
		t.Fatalf("row %q: want dashes for the missing baseline and ratio", lines[3])
	}
}

func TestTypicalJSONIsValidSizedAndReproducible(t *testing.T) {
	for _, n := range []int{1 << 10, mib} {
		text := typicalJSON(n, 7)
		if !json.Valid([]byte(text)) {
			t.Fatalf("typicalJSON(%d) is not valid JSON", n)
		}
		if len(text) < n || len(text) > n+1024 {
			t.Fatalf("typicalJSON(%d) is %d bytes", n, len(text))
		}
		if typicalJSON(n, 7) != text {
			t.Fatal("same seed, different text")
		}
	}
	var page struct {
		Events []struct {
			Seq     int     `json:"seq"`
			EventID string  `json:"event_id"`
			At      string  `json:"at"`
			Text    string  `json:"text"`
			Conf    float64 `json:"confidence"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(typicalJSON(8<<10, 1)), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Events) < 10 {
		t.Fatalf("%d events in 8 KiB", len(page.Events))
	}
	for i, ev := range page.Events {
		if ev.Seq != 1000+i || len(ev.EventID) != 16 || ev.Text == "" || ev.Conf < 0.5 || ev.Conf > 1 {
			t.Fatalf("event %d malformed: %+v", i, ev)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.At); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
}

func TestRandomTextUsesTheBase64Alphabet(t *testing.T) {
	text := randtext.New(4096, 3)
	if len(text) != 4096 {
		t.Fatalf("%d bytes", len(text))
	}
	if strings.Trim(text, randtext.Alphabet) != "" {
		t.Fatal("a character outside the alphabet")
	}
	if randtext.New(4096, 4) == text {
		t.Fatal("different seeds, same text")
	}
}

func TestChunksOfCutsLikeAStream(t *testing.T) {
	text := randtext.New(mib, 1)
	chunks := chunksOf(text)
	if want := (mib + rawChunkBytes - 1) / rawChunkBytes; len(chunks) != want {
		t.Fatalf("%d chunks, want %d", len(chunks), want)
	}
	var joined strings.Builder
	for i, p := range chunks {
		c := p.GetStreamChunk()
		if c.GetChunkIndex() != uint64(i) || len(c.GetContent()) > rawChunkBytes {
			t.Fatalf("chunk %d: index %d, %d bytes", i, c.GetChunkIndex(), len(c.GetContent()))
		}
		joined.Write(c.GetContent())
	}
	if joined.String() != text {
		t.Fatal("the chunks do not add up to the payload")
	}
}

func TestSelectRows(t *testing.T) {
	got, err := selectRows("5, 7")
	if err != nil || len(got) != 2 || got[0].id != "5" || got[1].id != "7" {
		t.Fatalf("selectRows = %v, %v", got, err)
	}
	if got, err := selectRows("3"); err != nil || len(got) != 1 || got[0].server {
		t.Fatalf("row 3 (the generator's, no server): %v, %v", got, err)
	}
	if _, err := selectRows("9"); err == nil || !strings.Contains(err.Error(), "1 to 8") {
		t.Fatalf("row 9: err = %v, want one listing the rows", err)
	}
}

func TestGeomean(t *testing.T) {
	if got := geomean([]float64{1, 4}); math.Abs(got-2) > 1e-9 {
		t.Fatalf("geomean(1, 4) = %v, want 2", got)
	}
	if got := geomean(nil); got != 0 {
		t.Fatalf("geomean() = %v, want 0", got)
	}
}

func TestStampedMessagesKeepTheirSizeAndTime(t *testing.T) {
	body := strings.Repeat("x", 100)
	before := time.Now()
	msg := stamped(body)
	if len(msg) != len(body) {
		t.Fatalf("stamped message of %d bytes, want %d", len(msg), len(body))
	}
	at, err := sentAt(msg)
	if err != nil || at.Before(before.Truncate(time.Nanosecond)) || at.After(time.Now()) {
		t.Fatalf("sentAt = %v, %v; stamped after %v", at, err, before)
	}
	if _, err := sentAt("short"); err == nil {
		t.Fatal("a message shorter than the stamp read as stamped")
	}
}
