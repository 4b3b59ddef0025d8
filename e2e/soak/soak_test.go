// Package soak runs lkrpc on a real livekit-server for a long while
// (`make soak`, about 10 minutes; not part of `make test`): mixed sizes,
// concurrent calls both ways, a peer that joins and leaves over and over,
// and forced recoveries (signal connections reset through a proxy, so the
// links resume; the server killed and started again, so they rejoin).
// Every call must end exactly once; goroutines and the heap must stay
// flat. It prints its figures.
package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}

const (
	// SoakEnv set to 1 runs the soak (with LKRPC_E2E=1).
	SoakEnv = "LKRPC_SOAK"
	// DurationEnv overrides the soak's length (a Go duration; default 10m).
	DurationEnv = "LKRPC_SOAK_DURATION"

	echo           = "echo"
	callers        = 3 // concurrent callers each way
	churnEvery     = 3 * time.Second
	sampleEvery    = 30 * time.Second
	drainTimeout   = 90 * time.Second
	goroutineSlack = 60
)

var sizes = []int{16, 1 << 10, 15 << 10, 100 << 10, 1 << 20}

type tally struct {
	mu       sync.Mutex
	started  atomic.Int64
	ended    atomic.Int64
	outcomes map[string]int
	bytes    atomic.Int64
}

func (t *tally) end(err error, n int) {
	t.ended.Add(1)
	key := "ok"
	if err != nil {
		if e, ok := rpcerr.From(err); ok {
			key = fmt.Sprintf("%d", e.Code)
		} else {
			key = "other: " + strings.SplitN(err.Error(), ":", 2)[0]
		}
	} else {
		t.bytes.Add(int64(2 * n))
	}
	t.mu.Lock()
	t.outcomes[key]++
	t.mu.Unlock()
}

type sample struct {
	at         time.Duration
	goroutines int
	heapMiB    float64
	calls      int64
}

func TestSoak(t *testing.T) {
	if os.Getenv(SoakEnv) != "1" {
		t.Skipf("the soak runs with %s=1 (make soak)", SoakEnv)
	}
	srv := lkserver.Require(t)
	duration := 10 * time.Minute
	if d, err := time.ParseDuration(os.Getenv(DurationEnv)); err == nil && d > 0 {
		duration = d
	}
	room := lkserver.RoomName(t)
	proxy := srv.SignalProxy(t)
	var rejoins, resumes atomic.Int64
	states := func(who string) rtc.Option {
		return rtc.WithStateHandler(func(c rtc.StateChange) {
			if c.State == rtc.StateReconnected {
				if c.Rejoin {
					rejoins.Add(1)
				} else {
					resumes.Add(1)
				}
			}
			if c.State == rtc.StateGaveUp {
				t.Errorf("%s gave up: %v", who, c.Err)
			}
		})
	}
	al := proxy.ConnectLink(t, room, "alice", states("alice"), rtc.WithReconnect(2*time.Minute))
	bl := proxy.ConnectLink(t, room, "bob", states("bob"), rtc.WithReconnect(2*time.Minute))
	alice, bob := newEngine(t, al), newEngine(t, bl)
	lkserver.WaitParticipant(t, al, "bob")
	lkserver.WaitParticipant(t, bl, "alice")

	payloads := map[int]string{}
	for i, n := range sizes {
		payloads[n] = randtext.New(n, uint64(i+1))
	}
	calls := &tally{outcomes: map[string]int{}}
	call := func(from *engine.Engine, to string, payload string) {
		calls.started.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		reply, err := from.Call(ctx, transport.Call{Destination: to, Method: echo, Payload: payload, Timeout: 30 * time.Second})
		if err == nil && reply.Payload != payload {
			err = fmt.Errorf("echo differs: %d bytes back for %d", len(reply.Payload), len(payload))
			t.Errorf("%s: %v", to, err)
		}
		calls.end(err, len(payload))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < callers; i++ {
		for _, dir := range []struct {
			from *engine.Engine
			to   string
		}{{alice, "bob"}, {bob, "alice"}} {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					n := sizes[r.IntN(len(sizes))]
					if n == 1<<20 && r.IntN(4) != 0 {
						n = 16 // keep 1 MiB calls a minority
					}
					call(dir.from, dir.to, payloads[n])
					time.Sleep(time.Duration(r.IntN(50)) * time.Millisecond)
				}
			}(uint64(i*2 + len(dir.to)))
		}
	}

	// carol joins and leaves over and over; alice calls her while she is
	// there (1503 or 1401 when she has just gone are fine: once each).
	var churns atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(churnEvery):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			l, err := rtc.Connect(ctx, srv.URL, srv.Token(t, "carol", room), rtc.WithReconnect(0))
			cancel()
			if err != nil {
				continue // the server may be restarting
			}
			e, err := engine.New(l)
			if err == nil {
				_, err = e.Register(echo, func(_ context.Context, r *transport.Request) (string, error) { return r.Payload, nil })
			}
			if err == nil {
				call(alice, "carol", payloads[16])
				call(alice, "carol", payloads[15<<10])
				churns.Add(1)
			}
			if e != nil {
				_ = e.Close()
			}
			_ = l.Close()
		}
	}()

	// Forced recoveries, and samples.
	var samples []sample
	take := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := sample{at: time.Since(start).Round(time.Second), goroutines: runtime.NumGoroutine(), heapMiB: float64(ms.HeapInuse) / (1 << 20), calls: calls.ended.Load()}
		samples = append(samples, s)
		t.Logf("SOAK %v: %d goroutines, heap in use %.1f MiB, %d calls ended, %d resumes, %d rejoins",
			s.at, s.goroutines, s.heapMiB, s.calls, resumes.Load(), rejoins.Load())
	}
	take()
	// In 10 minutes: a signal cut every 45 s, a server restart every 150 s;
	// a shorter soak keeps at least two of each.
	cutEvery, restartEvery := min(45*time.Second, duration/8), min(150*time.Second, duration/3)
	cut, restart, sampled := time.NewTicker(cutEvery), time.NewTicker(restartEvery), time.NewTicker(sampleEvery)
	defer cut.Stop()
	defer restart.Stop()
	defer sampled.Stop()
	deadline := time.After(duration)
	cuts, restarts := 0, 0
loop:
	for {
		select {
		case <-deadline:
			break loop
		case <-cut.C:
			cuts++
			t.Logf("SOAK %v: cutting the signal connections (%d relays)", time.Since(start).Round(time.Second), proxy.Cut())
		case <-restart.C:
			restarts++
			t.Logf("SOAK %v: killing and restarting the server", time.Since(start).Round(time.Second))
			srv.Kill()
			if err := srv.Restart(); err != nil {
				t.Fatalf("restart: %v", err)
			}
		case <-sampled.C:
			take()
		}
	}
	close(stop)
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainTimeout):
		t.Fatalf("callers still running %v after the end: %d calls started, %d ended", drainTimeout, calls.started.Load(), calls.ended.Load())
	}
	take()

	if s, e := calls.started.Load(), calls.ended.Load(); s != e {
		t.Errorf("%d calls started, %d ended: every call must end exactly once", s, e)
	}
	keys := make([]string, 0, len(calls.outcomes))
	for k := range calls.outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, calls.outcomes[k])
	}
	elapsed := time.Since(start)
	t.Logf("SOAK done in %v: %d calls (%.1f/s), outcomes:%s; %.1f MiB echoed; carol joined and left %d times; %d signal cuts, %d server restarts; links resumed %d and rejoined %d times",
		elapsed.Round(time.Second), calls.ended.Load(), float64(calls.ended.Load())/elapsed.Seconds(), b.String(),
		float64(calls.bytes.Load())/(1<<20), churns.Load(), cuts, restarts, resumes.Load(), rejoins.Load())

	// Flat: compared with the first sample after a minute's warm-up.
	base := samples[0]
	for _, s := range samples {
		if s.at >= time.Minute {
			base = s
			break
		}
	}
	last := samples[len(samples)-1]
	if last.goroutines > base.goroutines+goroutineSlack {
		t.Errorf("goroutines grew from %d (at %v) to %d", base.goroutines, base.at, last.goroutines)
	}
	if last.heapMiB > 2*base.heapMiB+64 {
		t.Errorf("heap in use grew from %.1f MiB (at %v) to %.1f MiB", base.heapMiB, base.at, last.heapMiB)
	}
	if calls.outcomes["ok"] == 0 {
		t.Error("no call succeeded")
	}
}

func newEngine(t *testing.T, l *rtc.Link) *engine.Engine {
	t.Helper()
	e, err := engine.New(l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Register(echo, func(_ context.Context, r *transport.Request) (string, error) { return r.Payload, nil }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
