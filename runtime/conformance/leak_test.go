package conformance_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// checkNoGoroutines fails if a goroutine of lkrpc's runtime outlives the
// test. A goroutine that has just signalled its WaitGroup may still be
// unwinding, so it looks a few times before failing.
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	var stacks string
	for range 100 {
		buf := make([]byte, 4<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !leaked(stacks) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines left behind:\n%s", stacks)
}

func leaked(stacks string) bool {
	for g := range strings.SplitSeq(stacks, "\n\n") {
		if strings.Contains(g, "testing.tRunner") {
			continue
		}
		if strings.Contains(g, "lkrpc/runtime/engine") || strings.Contains(g, "lkrpc/runtime/link/memroom") ||
			strings.Contains(g, "runtime/conformance_test.") {
			return true
		}
	}
	return false
}
