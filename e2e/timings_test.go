package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// timingTable collects per-case durations of the matrix and prints their
// medians per peer, direction and size at the end of the run.
type timingTable struct {
	mu    sync.Mutex
	rows  []timingKey // first-seen order
	cases map[timingKey]timings
}

type timingKey struct{ peer, direction, size string }

func newTimingTable() *timingTable { return &timingTable{cases: map[timingKey]timings{}} }

func (tt *timingTable) add(peer, direction, size string, d time.Duration) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	k := timingKey{peer, direction, size}
	if _, ok := tt.cases[k]; !ok {
		tt.rows = append(tt.rows, k)
	}
	tt.cases[k] = append(tt.cases[k], d)
}

// String renders the table in Markdown.
func (tt *timingTable) String() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var b strings.Builder
	b.WriteString("| peer | direction | size | median | min | max | n |\n|---|---|---|---|---|---|---|\n")
	for _, k := range tt.rows {
		ts := slices.Clone(tt.cases[k])
		slices.Sort(ts)
		fmt.Fprintf(&b, "| %s | %s | %s | %v | %v | %v | %d |\n", k.peer, k.direction, k.size,
			roundDuration(ts.median()), roundDuration(ts[0]), roundDuration(ts[len(ts)-1]), len(ts))
	}
	return b.String()
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(10 * time.Microsecond)
	}
}

func TestTimingTableMedians(t *testing.T) {
	tt := newTimingTable()
	for _, ms := range []int{5, 1, 3} {
		tt.add("p", "Go → peer", "16B", time.Duration(ms)*time.Millisecond)
	}
	tt.add("p", "peer → Go", "10MiB", 2*time.Second)
	want := "| p | Go → peer | 16B | 3ms | 1ms | 5ms | 3 |\n| p | peer → Go | 10MiB | 2s | 2s | 2s | 1 |\n"
	if got := tt.String(); !strings.HasSuffix(got, want) {
		t.Fatalf("table:\n%s\nwant rows:\n%s", got, want)
	}
}
