package main

import (
	"fmt"
	"slices"
	"time"
)

// samples are latencies of one kind of call.
type samples []time.Duration

// median of the samples (0 when empty).
func (s samples) median() time.Duration { return s.quantile(0.5) }

// quantile q in [0, 1], nearest rank.
func (s samples) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// String: median and p90, in ms.
func (s samples) String() string {
	return fmt.Sprintf("median %s (p90 %s, n=%d)", ms(s.median()), ms(s.quantile(0.9)), len(s))
}

// ms formats d in milliseconds with sensible precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.0f ms", v)
	}
}

// ratio of two durations (a ÷ b).
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// count scales a sample count by the -scale flag, keeping at least min.
func (b *bench) count(n, least int) int {
	return max(int(float64(n)*b.scale), least)
}
