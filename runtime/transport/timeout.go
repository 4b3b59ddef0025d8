package transport

import (
	"context"
	"math"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// ResponseTimeout is the one rule for a call's response timeout, applied by
// the typed runtime and by every transport: the call's own timeout when set,
// else fallback, cut to the time left before ctx's deadline when that is
// sooner. It is 0 only when none of the three is set ("the next layer
// decides"). A deadline already passed is the response timeout error (1502).
func ResponseTimeout(ctx context.Context, own, fallback time.Duration) (time.Duration, error) {
	d := own
	if d <= 0 {
		d = fallback
	}
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, rpcerr.Builtin(rpcerr.ResponseTimeout)
		}
		if d <= 0 || left < d {
			d = left
		}
	}
	return max(d, 0), nil
}

// TimeoutMillis is d as the wire's response_timeout_ms: at least 1, at most
// what the field holds.
func TimeoutMillis(d time.Duration) uint32 {
	return uint32(min(max(d.Milliseconds(), 1), math.MaxUint32))
}
