package e2e

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// randomText is n bytes of printable ASCII that does not compress much.
func randomText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x6c6b727063))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}\":,"
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

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
