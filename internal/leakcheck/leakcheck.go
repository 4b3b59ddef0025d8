// Package leakcheck tells a test whether the goroutines it started have
// ended. It compares the process's goroutine count with a baseline taken
// before the test started them, waiting a while for goroutines that wind
// down on their own timers (pion's, the engine's) and have nothing a test
// could wait on.
//
// Two checks: Check compares goroutine counts, which catches a leak from any
// package but needs the test to run alone; NoneRunning looks for goroutines
// running named code, which tests running in parallel with others can use
// as long as the others do not run that code.
package leakcheck

import (
	"runtime"
	"strings"
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
			t.Errorf("%d goroutines left behind %v after the test (baseline %d):\n%s",
				n-baseline, within, baseline, allStacks())
			return time.Since(start)
		}
		time.Sleep(poll)
	}
}

// NoneRunning waits up to within until no goroutine outside the tests' own
// (those under testing.tRunner) has a frame whose name contains one of
// frames, such as "lkrpc/runtime/engine", and reports an error on t with
// every goroutine's stack if one remains.
func NoneRunning(t testing.TB, within time.Duration, frames ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		stacks := allStacks()
		if !running(stacks, frames) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines running %v left behind %v after the test:\n%s", frames, within, stacks)
			return
		}
		time.Sleep(poll)
	}
}

// running reports whether a goroutine in stacks, other than a test's own,
// has a frame containing one of frames.
func running(stacks string, frames []string) bool {
	for g := range strings.SplitSeq(stacks, "\n\n") {
		if strings.Contains(g, "testing.tRunner") {
			continue
		}
		for _, f := range frames {
			if strings.Contains(g, f) {
				return true
			}
		}
	}
	return false
}

// allStacks is every goroutine's stack, however many there are.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
