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

func TestGoroutineThatEndsInTimePasses(t *testing.T) {
	baseline := leakcheck.Baseline()
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
	baseline := leakcheck.Baseline()
	stop, ended := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-ended }() // leave nothing to the next test's baseline
	go blockedForever(stop, ended)
	rec := &recorder{TB: t}
	leakcheck.Check(rec, baseline, 50*time.Millisecond)
	if len(rec.errors) != 1 {
		t.Fatalf("reported %d errors, want 1", len(rec.errors))
	}
	if !strings.Contains(rec.errors[0], "1 goroutines left behind") || !strings.Contains(rec.errors[0], "blockedForever") {
		t.Fatalf("report does not count the goroutine or show its stack:\n%s", rec.errors[0])
	}
}

func blockedForever(stop <-chan struct{}, ended chan<- struct{}) {
	<-stop
	close(ended)
}
