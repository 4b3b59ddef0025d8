package transport_test

import (
	"context"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestResponseTimeoutPrecedence(t *testing.T) {
	const fallback = 15 * time.Second
	bg := context.Background()
	check := func(name string, got time.Duration, err error, lo, hi time.Duration) {
		t.Helper()
		if err != nil || got < lo || got > hi {
			t.Errorf("%s: %v, %v; want %v..%v", name, got, err, lo, hi)
		}
	}
	got, err := transport.ResponseTimeout(bg, 0, 0)
	check("nothing set", got, err, 0, 0)
	got, err = transport.ResponseTimeout(bg, 0, fallback)
	check("fallback", got, err, fallback, fallback)
	got, err = transport.ResponseTimeout(bg, 5*time.Second, fallback)
	check("own beats fallback", got, err, 5*time.Second, 5*time.Second)

	ctx, cancel := context.WithTimeout(bg, 3*time.Second)
	defer cancel()
	got, err = transport.ResponseTimeout(ctx, 0, fallback)
	check("ctx deadline cuts the fallback", got, err, 2*time.Second, 3*time.Second)
	got, err = transport.ResponseTimeout(ctx, 5*time.Second, fallback)
	check("ctx deadline cuts own", got, err, 2*time.Second, 3*time.Second)
	got, err = transport.ResponseTimeout(ctx, time.Second, fallback)
	check("own sooner than ctx", got, err, time.Second, time.Second)
	got, err = transport.ResponseTimeout(ctx, 0, 0)
	check("ctx alone", got, err, 2*time.Second, 3*time.Second)

	past, cancel2 := context.WithDeadline(bg, time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := transport.ResponseTimeout(past, time.Second, fallback); rpcerr.Code(err) != rpcerr.ResponseTimeout {
		t.Errorf("passed deadline: %v, want 1502", err)
	}
}

func TestTimeoutMillisFitsTheWireField(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want uint32
	}{
		{0, 1},
		{time.Microsecond, 1},
		{1500 * time.Millisecond, 1500},
		{time.Duration(1<<62) * time.Nanosecond, 1<<32 - 1},
	} {
		if got := transport.TimeoutMillis(c.d); got != c.want {
			t.Errorf("TimeoutMillis(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}
