package faults_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/internal/offheap"
	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// TestPeakMemory100Streams10MiB measures the memory one engine holds while
// it receives 100 concurrent 10 MiB request streams (1 GiB of payload) from
// 4 callers, first with the default limits, then with limits raised so that
// all of them are accepted. What it holds is the Go heap's objects plus the
// memory mapped off the heap for open streams (internal/offheap), sampled
// together; it prints their peaks, the peak of their sum against
// MaxBufferedBytes, the live heap, what completed, and the process's peak
// RSS. It asserts only that every call ends as it may (a reply or a
// limit's refusal): the figures depend on timing. It moves a GiB through
// the in-memory room, so it runs only on request:
//
//	LKRPC_MEMTEST=1 go test -run TestPeakMemory100Streams10MiB -v ./runtime/faults/
func TestPeakMemory100Streams10MiB(t *testing.T) {
	if testing.Short() || os.Getenv("LKRPC_MEMTEST") != "1" {
		t.Skip("a 1 GiB measurement: set LKRPC_MEMTEST=1 (and no -short) to run it")
	}
	const streams, size, callers = 100, 10 << 20, 4
	payload := randtext.New(size, 1) // shared by every call: the callers hold it once
	for _, c := range []struct {
		name   string
		limits engine.InboundLimits
		cap    int64 // MaxBufferedBytes in effect
	}{
		{"default limits", engine.InboundLimits{}, datastream.DefaultMaxBufferedBytes},
		{"limits raised to admit all", engine.InboundLimits{MaxStreamsPerSender: streams, MaxBufferedBytes: 2 << 30}, 2 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := newEnv(t)
			bob := v.join("bob", plain(), engine.WithInboundLimits(c.limits))
			serve(t, bob, "faults.Size", func(_ context.Context, r *transport.Request) (string, error) {
				return strconv.Itoa(len(r.Payload)), nil
			})
			var members []member
			for i := range callers {
				members = append(members, v.join(fmt.Sprint("caller-", i), plain(), engine.WithAckTimeout(time.Minute)))
			}
			runtime.GC()
			base, baseMapped := heapObjects(), uint64(offheap.MappedBytes())
			resetPeakRSS()
			stop := samplePeak()
			start := time.Now()
			var runs []*callRun
			for i := range streams {
				runs = append(runs, v.start(members[i%callers], transport.Call{
					Destination: "bob", Method: "faults.Size", Payload: payload, Timeout: 2 * time.Minute,
				}))
			}
			ok, refused := 0, map[string]int{}
			for _, r := range runs {
				res := r.wait(t, 3*time.Minute)
				switch e, isRPC := rpcerr.From(res.err); {
				case res.err == nil && res.reply.Payload == strconv.Itoa(size):
					ok++
				case isRPC && e.Code == rpcerr.ApplicationError:
					refused[limitOf(e.Data)]++
				default:
					t.Errorf("call ended with %q, %v", res.reply.Payload, res.err)
				}
			}
			elapsed := time.Since(start)
			p := stop()
			total := p.total - (base + baseMapped)
			t.Logf("%d×%d MiB inbound streams from %d callers in %v: %d completed, refused %v", streams, size>>20,
				callers, elapsed.Round(time.Millisecond), ok, refused)
			t.Logf("above a baseline of %d MiB heap + %d MiB off-heap: peak heap %d MiB, peak off-heap %d MiB, "+
				"peak total %d MiB (%.2f× the %d MiB MaxBufferedBytes); live heap at a GC %d MiB; process peak RSS %s",
				base>>20, baseMapped>>20, (p.heap-base)>>20, (p.mapped-baseMapped)>>20, total>>20,
				float64(total)/float64(c.cap), c.cap>>20, (p.live-base)>>20, peakRSS())
		})
	}
}

// limitOf shortens a refusal's data to the limit it names.
func limitOf(data string) string {
	for _, s := range []string{"open streams would buffer more than", "streams open", "more than the limit of"} {
		if strings.Contains(data, s) {
			return s
		}
	}
	return data
}

// Heap metrics: all heap objects (garbage not yet collected included), and
// the heap found live by the last GC.
const (
	heapMetric = "/memory/classes/heap/objects:bytes"
	liveMetric = "/gc/heap/live:bytes"
)

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peaks are the highest figures samplePeak saw: heap objects, live heap,
// bytes mapped off the heap, and heap objects plus mapped bytes in one
// sample.
type peaks struct{ heap, live, mapped, total uint64 }

// samplePeak samples the heap and the off-heap mappings every millisecond
// until stop, which returns the peaks seen. runtime/metrics does not stop
// the world, so the sampling barely disturbs what it measures.
func samplePeak() (stop func() peaks) {
	var p peaks
	samples := []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			heap, mapped := samples[0].Value.Uint64(), uint64(offheap.MappedBytes())
			p.heap = max(p.heap, heap)
			p.live = max(p.live, samples[1].Value.Uint64())
			p.mapped = max(p.mapped, mapped)
			p.total = max(p.total, heap+mapped)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() peaks {
		close(done)
		wg.Wait()
		return p
	}
}

// resetPeakRSS starts a new peak resident set measurement (Linux: writing
// 5 to clear_refs resets VmHWM); where that is impossible the peak stays
// the process's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident set (VmHWM) as Linux reports
// it, or "unknown".
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
