package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// concurrentCalls is row 6's burst size.
const concurrentCalls = 1000

// concurrency is row 6: 1000 generated Pings started at once through the
// real server against 1000 stock PerformRpc calls started at once (the
// row-1 setup), alternating bursts; calls per second = 1000 ÷ the time
// until the last call returned.
func concurrency(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("burst")
	defer s.close()
	p, err := newPingPair(ctx, s)
	if err != nil {
		return nil, err
	}
	var typedTimes, stockTimes samples
	var typedErrs, stockErrs int
	var firstTypedErr, firstStockErr error
	// A burst lasts a few hundred ms and this machine is shared: one
	// burst of another process's work moves a median of 3 by 2×, so 9.
	bursts := b.count(9, 1)
	for range bursts + 1 { // the first round warms up
		d, nErr, first := burst(func() error { return p.typedPing(ctx) })
		typedTimes, typedErrs = append(typedTimes, d), typedErrs+nErr
		firstTypedErr = errors.Join(firstTypedErr, first)
		d, nErr, first = burst(p.stockPing)
		stockTimes, stockErrs = append(stockTimes, d), stockErrs+nErr
		firstStockErr = errors.Join(firstStockErr, first)
	}
	typedTimes, stockTimes = typedTimes[1:], stockTimes[1:]
	typedRate := concurrentCalls / typedTimes.median().Seconds()
	stockRate := concurrentCalls / stockTimes.median().Seconds()
	if firstTypedErr != nil || firstStockErr != nil {
		b.note("Row 6 errors: lkrpc %v; stock %v", firstTypedErr, firstStockErr)
	}
	b.note("Row 6: %d bursts of %d calls each side after one warm-up burst; burst times lkrpc %s, stock %s.",
		bursts, concurrentCalls, typedTimes, stockTimes)
	return []Row{{
		ID: "6",
		Figure: fmt.Sprintf("%d concurrent generated `Ping`s: %.0f calls/s, %d errors in %d calls",
			concurrentCalls, typedRate, typedErrs, (bursts+1)*concurrentCalls),
		Baseline: fmt.Sprintf("%d concurrent stock `PerformRpc`: %.0f calls/s, %d errors", concurrentCalls, stockRate, stockErrs),
		Ratio:    typedRate / stockRate, Target: "0 errors and ≥ 1.00× calls/s", Status: verdict(typedErrs == 0 && typedRate >= stockRate),
	}}, nil
}

// burst runs concurrentCalls calls of call at once and returns the time
// until the last returned, the number that failed and the first failure.
func burst(call func() error) (time.Duration, int, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	var first error
	start := make(chan struct{})
	for range concurrentCalls {
		wg.Go(func() {
			<-start
			if err := call(); err != nil {
				mu.Lock()
				failed++
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return time.Since(t0), failed, first
}
