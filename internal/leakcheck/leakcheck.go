// Package leakcheck tells a test whether the goroutines it started have
// ended. It compares the process's goroutine count with a baseline taken
// before the test started them, waiting a while for goroutines that wind
// down on their own timers (pion's, the engine's) and have nothing a test
// could wait on.
//
// A count, not a list of stacks, because the runtime's own goroutines and a
// test framework's come and go by name; a test that counts must therefore
// not run in parallel with others.
package leakcheck

import (
	"runtime"
	"testing"
	"time"
)

// poll is how often Check looks again while goroutines remain.
const poll = 5 * time.Millisecond

// Baseline is the goroutine count to give Check later.
func Baseline() int { return runtime.NumGoroutine() }

// Check waits up to within for the goroutine count to fall to baseline and
// reports an error on t with every goroutine's stack if it does not. It
// returns how long the goroutines took to end.
func Check(t testing.TB, baseline int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left behind %v after the test (baseline %d):\n%s",
				n-baseline, within, baseline, buf[:runtime.Stack(buf, true)])
			return time.Since(start)
		}
		time.Sleep(poll)
	}
}
