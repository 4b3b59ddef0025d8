package recovery

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// probe (LKRPC_RECOVERY_PROBE=1) calls every second until a call goes
// through, logging each: how long the data path takes to carry calls again.
func probe(t *testing.T, from, to *member) {
	if os.Getenv("LKRPC_RECOVERY_PROBE") != "1" {
		return
	}
	start := time.Now()
	for i := 0; i < 60; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := from.engine.Call(ctx, transport.Call{Destination: to.identity, Method: echo, Payload: "p", Timeout: 2 * time.Second})
		cancel()
		t.Logf("PROBE %s→%s at %v: %v", from.identity, to.identity, time.Since(start).Round(time.Millisecond), err)
		if err == nil {
			return
		}
	}
}
