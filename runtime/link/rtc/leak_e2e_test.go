package rtc_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// Links that were closed leave no goroutines behind (pion's included),
// once their Done channels are closed and pion's own timers have run out.
func TestE2EClosedLinksLeaveNoGoroutines(t *testing.T) {
	srv := lkserver.Require(t) // not parallel: goroutines of tests beside it would count as its own
	room := lkserver.RoomName(t)
	before := goleak.IgnoreCurrent()
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
	t.Logf("goroutines ended %v after the last Close", leakcheck.Verify(t, 10*time.Second, before).Round(time.Millisecond))
}
