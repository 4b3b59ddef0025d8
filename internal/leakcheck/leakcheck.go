// Package leakcheck is go.uber.org/goleak with a longer wait.
//
// Tests find their leftover goroutines with goleak: a test takes
// goleak.IgnoreCurrent() before it starts anything, and checks with that
// option once everything it started is closed. What goleak cannot be told
// is how long to wait: goleak.Find retries for about 0.4 s in all (20
// tries, sleeping 1 µs doubling up to 100 ms) and offers no option to
// change that (v1.3.0, its latest release; its retry and sleep limits are
// unexported). Some goroutines end on timers of their own that nothing can
// wait on — pion's after a peer connection closes (seconds), the engine's
// after a call ends — so a check that gives up after 0.4 s fails tests that
// leak nothing. Verify is that one missing piece: it repeats goleak.Find
// until it finds nothing or the bound passes.
package leakcheck

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Verify waits up to within for goleak.Find(opts...) to find no goroutine,
// and reports what it found on t if one remains. It returns how long the
// goroutines took to end.
func Verify(t testing.TB, within time.Duration, opts ...goleak.Option) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := goleak.Find(opts...)
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) >= within {
			t.Errorf("goroutines left behind %v after the test: %v", within, err)
			return time.Since(start)
		}
	}
}
