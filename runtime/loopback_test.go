package runtime_test

import "github.com/lkrpc/lkrpc/runtime/transport/transporttest"

// newLoopback returns an in-process transport whose handlers see "alice"
// as the caller.
func newLoopback() *transporttest.Loopback { return transporttest.NewLoopback("alice") }
