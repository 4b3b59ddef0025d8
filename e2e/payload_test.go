package e2e

import (
	"slices"
	"testing"
	"time"
)

// timings collects durations and reports their median.
type timings []time.Duration

func (ts timings) median() time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func (ts timings) log(t *testing.T, what string) {
	t.Helper()
	if len(ts) == 0 {
		return
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	t.Logf("%s: median %v (min %v, max %v, n=%d)", what,
		ts.median().Round(time.Microsecond), s[0].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond), len(s))
}
