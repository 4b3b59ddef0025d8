package leakcheck_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// settledBaseline is leakcheck.Baseline once the goroutines of the tests
// before this one (their runners unwind after they return) are gone: these
// tests need an exact count, not one that may drop by itself.
func settledBaseline() int {
	n := leakcheck.Baseline()
	for steady := 0; steady < 5; {
		time.Sleep(5 * time.Millisecond)
		m := leakcheck.Baseline()
		if m == n {
			steady++
		} else {
			n, steady = m, 0
		}
	}
	return n
}

func TestGoroutineThatEndsInTimePasses(t *testing.T) {
	baseline := settledBaseline()
	go time.Sleep(50 * time.Millisecond)
	rec := &recorder{TB: t}
	took := leakcheck.Check(rec, baseline, 2*time.Second)
	if len(rec.errors) != 0 {
		t.Fatalf("reported %q for a goroutine that ended", rec.errors)
	}
	if took < 40*time.Millisecond {
		t.Fatalf("returned after %v, before the goroutine could have ended", took)
	}
}

func TestGoroutineLeftBehindIsReportedWithItsStack(t *testing.T) {
	baseline := settledBaseline()
	started, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	defer func() { close(stop); gone(t, ended) }()
	go blockedForever(started, stop, ended)
	<-started
	rec := &recorder{TB: t}
	leakcheck.Check(rec, baseline, 50*time.Millisecond)
	if len(rec.errors) != 1 {
		t.Fatalf("reported %d errors, want 1", len(rec.errors))
	}
	if !strings.Contains(rec.errors[0], "1 goroutines left behind") || !strings.Contains(rec.errors[0], "blockedForever") {
		t.Fatalf("report does not count the goroutine or show its stack:\n%s", rec.errors[0])
	}
}

// gone waits until blockedForever has returned, so that it leaves nothing to
// the next test's baseline.
func gone(t *testing.T, ended <-chan struct{}) {
	<-ended
	leakcheck.NoneRunning(t, 2*time.Second, "leakcheck_test.blockedForever")
}

// blockedForever runs until stop closes; started and ended tell the test
// when it runs and when it is about to return.
func blockedForever(started chan<- struct{}, stop <-chan struct{}, ended chan<- struct{}) {
	close(started)
	<-stop
	close(ended)
}

func TestNoneRunningWaitsForNamedCodeAndReportsWhatRemains(t *testing.T) {
	started, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
		}
		gone(t, ended)
	}()
	go blockedForever(started, stop, ended)
	<-started
	rec := &recorder{TB: t}
	leakcheck.NoneRunning(rec, 50*time.Millisecond, "leakcheck_test.blockedForever")
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "blockedForever") {
		t.Fatalf("reported %q, want one report with the blocked goroutine's stack", rec.errors)
	}
	close(stop)
	stopped = true
	rec = &recorder{TB: t}
	leakcheck.NoneRunning(rec, 2*time.Second, "leakcheck_test.blockedForever")
	if len(rec.errors) != 0 {
		t.Fatalf("reported %q after the goroutine ended", rec.errors)
	}
	// The test's own goroutine runs code of this package too; it never counts.
	rec = &recorder{TB: t}
	leakcheck.NoneRunning(rec, 0, "leakcheck_test.")
	if len(rec.errors) != 0 {
		t.Fatalf("the test's own goroutine was reported: %q", rec.errors)
	}
}
