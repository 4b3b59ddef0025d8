package leakcheck_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
)

// recorder is a testing.TB that keeps what Verify reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// A goroutine that ends after goleak's own retries (about 0.4 s) but within
// the bound passes: the wait is what this package adds.
func TestGoroutineThatEndsWithinTheBoundPasses(t *testing.T) {
	before := goleak.IgnoreCurrent()
	go time.Sleep(time.Second)
	rec := &recorder{TB: t}
	took := leakcheck.Verify(rec, 5*time.Second, before)
	if len(rec.errors) != 0 {
		t.Fatalf("reported %q for a goroutine that ended", rec.errors)
	}
	if took < 900*time.Millisecond {
		t.Fatalf("returned after %v, before the goroutine could have ended", took)
	}
}

func TestGoroutineLeftBehindIsReportedWithItsStack(t *testing.T) {
	before := goleak.IgnoreCurrent()
	started, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-ended; leakcheck.Verify(t, 2*time.Second, before) }()
	go blockedForever(started, stop, ended)
	<-started
	rec := &recorder{TB: t}
	took := leakcheck.Verify(rec, 50*time.Millisecond, before)
	if len(rec.errors) != 1 {
		t.Fatalf("reported %d errors, want 1", len(rec.errors))
	}
	if !strings.Contains(rec.errors[0], "left behind") || !strings.Contains(rec.errors[0], "blockedForever") {
		t.Fatalf("report does not show the goroutine's stack:\n%s", rec.errors[0])
	}
	if took < 50*time.Millisecond {
		t.Fatalf("gave up after %v, before the bound", took)
	}
}

// Goroutines running when the test took goleak.IgnoreCurrent are not its own.
func TestGoroutinesFromBeforeAreIgnored(t *testing.T) {
	started, stop, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go blockedForever(started, stop, ended)
	<-started
	defer func() { close(stop); <-ended }()
	before := goleak.IgnoreCurrent()
	rec := &recorder{TB: t}
	leakcheck.Verify(rec, 50*time.Millisecond, before)
	if len(rec.errors) != 0 {
		t.Fatalf("reported a goroutine that ran before: %q", rec.errors)
	}
}

// blockedForever runs until stop closes; started and ended tell the test
// when it runs and when it is about to return.
func blockedForever(started chan<- struct{}, stop <-chan struct{}, ended chan<- struct{}) {
	close(started)
	<-stop
	close(ended)
}
