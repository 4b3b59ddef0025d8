package peer_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link/peer"
)

// Links that were closed leave no goroutines behind (pion's included),
// once their Done channels are closed and pion's own timers have run out.
func TestE2EClosedLinksLeaveNoGoroutines(t *testing.T) {
	srv := lkserver.Require(t) // not parallel: it counts the process's goroutines
	room := lkserver.RoomName(t)
	before := runtime.NumGoroutine()
	for i := range 5 {
		l, err := peer.Connect(context.Background(), srv.URL, srv.Token(t, fmt.Sprintf("leak-%d", i), room))
		if err != nil {
			t.Fatal(err)
		}
		l.Attach(newRecorder())
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		<-l.Done()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := runtime.NumGoroutine()
		if now <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d ten seconds after closing 5 links:\n%s", before, now, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond) // pion winds down on its own timers; nothing to wait on
	}
}
