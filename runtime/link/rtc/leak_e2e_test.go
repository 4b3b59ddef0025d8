package rtc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// Links that were closed leave no goroutines behind (pion's included),
// once their Done channels are closed and pion's own timers have run out.
func TestE2EClosedLinksLeaveNoGoroutines(t *testing.T) {
	srv := lkserver.Require(t) // not parallel: it counts the process's goroutines
	room := lkserver.RoomName(t)
	baseline := leakcheck.Baseline()
	for i := range 5 {
		l, err := rtc.Connect(context.Background(), srv.URL, srv.Token(t, fmt.Sprintf("leak-%d", i), room))
		if err != nil {
			t.Fatal(err)
		}
		l.Attach(newRecorder())
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		<-l.Done()
	}
	// pion winds down on its own timers, after Done.
	t.Logf("goroutines ended %v after the last Close", leakcheck.Check(t, baseline, 10*time.Second).Round(time.Millisecond))
}
