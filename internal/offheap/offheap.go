// Package offheap holds bytes outside the Go heap: anonymous private
// memory mappings, grown as bytes arrive and unmapped the moment their
// owner frees them.
//
// It exists for the engine's incoming data streams (runtime/engine/datastream).
// An open stream's bytes wait there until its trailer, up to the receiver's
// MaxBufferedBytes for all streams together (256 MiB by default). On the Go
// heap those bytes set the garbage collector's pace: with GOGC=100 the heap
// may grow to about twice what is live, so a full cap cost twice the cap
// (PROTOCOL.md §6; README, Performance, row 7). Memory mapped here is not
// counted by the pacer, is returned to the system by Free at once (no
// collection needed), and is no more than the accounting that bounds it.
//
// The rule that makes this safe: no pointer into a Buffer's memory may
// outlive the Buffer. Its owner reads the bytes only while it holds the
// Buffer and copies them to ordinary Go memory (a string, a []byte) before
// anything else may see them; Free unmaps, and any slice still pointing
// there would fault.
//
// Mappings exist on Linux (64-bit architectures whose mmap takes its
// arguments directly); elsewhere Supported is false and callers keep their
// bytes on the Go heap.
package offheap

import (
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Supported reports whether this platform maps memory for a Buffer. When
// false, Grow always fails and callers use the Go heap instead.
const Supported = supported

// PageSize is the granule of a mapping: a Buffer's Cap is a multiple of it.
var PageSize = pageSize()

// Round returns n rounded up to a whole number of pages: the memory a
// Buffer of capacity n holds.
func Round(n int) int {
	return (n + PageSize - 1) &^ (PageSize - 1)
}

// ErrUnsupported is Grow's error where Supported is false.
var ErrUnsupported = errors.New("offheap: memory mappings are not supported on this platform")

// Counters of every Buffer in the process.
var (
	mappedBytes atomic.Int64 // bytes mapped now
	mappings    atomic.Int64 // Buffers holding a mapping now
)

// MappedBytes returns the bytes all Buffers of the process hold mapped now.
// Add it to the Go heap's figures to measure what the process holds.
func MappedBytes() int64 { return mappedBytes.Load() }

// Mappings returns the number of Buffers holding a mapping now (for tests
// and leak checks: it returns to its previous value when every Buffer that
// was grown has been freed).
func Mappings() int { return int(mappings.Load()) }

// SettledMappings collects garbage until the cleanups of unreachable
// Buffers have run (Mappings stays the same across a collection), and
// returns Mappings then: the baseline a test compares with. It is for
// tests: it runs the collector up to 50 times.
func SettledMappings() int {
	last := -1
	for range 50 {
		runtime.GC()
		time.Sleep(2 * time.Millisecond)
		n := Mappings()
		if n == last {
			break
		}
		last = n
	}
	return last
}

// Buffer is a growable byte buffer in memory mapped outside the Go heap.
// The zero Buffer is empty and holds nothing. A Buffer must not be copied
// once grown; it is not safe for concurrent use.
//
// A Buffer that becomes unreachable without Free is unmapped by a cleanup
// after a garbage collection: a safety net, not a way to release memory
// promptly.
type Buffer struct {
	_       noCopy
	mem     []byte // len: the bytes held; cap: the bytes mapped (0: nothing mapped)
	cleanup runtime.Cleanup
}

// region is what the cleanup of an unreachable Buffer unmaps: an address
// and a length, no pointer, so that it does not keep the Buffer alive.
type region struct {
	addr uintptr
	size int
}

// Len returns the number of bytes held.
func (b *Buffer) Len() int { return len(b.mem) }

// Cap returns the number of bytes mapped: what the Buffer costs.
func (b *Buffer) Cap() int { return cap(b.mem) }

// Grow makes Cap at least n (rounded up to whole pages), mapping memory or
// moving the held bytes to a larger mapping. It never shrinks. On failure
// the Buffer is unchanged.
func (b *Buffer) Grow(n int) error {
	if n <= cap(b.mem) {
		return nil
	}
	if n > math.MaxInt-PageSize {
		return errors.New("offheap: cannot map " + strconv.Itoa(n) + " bytes")
	}
	size := Round(n)
	var mem []byte
	var err error
	if cap(b.mem) == 0 {
		mem, err = mapAnon(size)
	} else {
		mem, err = remap(b.mem[:cap(b.mem)], size)
	}
	if err != nil {
		return err
	}
	if cap(b.mem) == 0 {
		mappings.Add(1)
	} else {
		b.cleanup.Stop() // it names the old region
	}
	mappedBytes.Add(int64(size - cap(b.mem)))
	b.mem = mem[:len(b.mem):size]
	b.cleanup = runtime.AddCleanup(b, unmapRegion, region{addrOf(mem), size})
	return nil
}

// Append adds p, which must fit: len(p) ≤ Cap()-Len().
func (b *Buffer) Append(p []byte) {
	if len(p) > cap(b.mem)-len(b.mem) {
		panic("offheap: Append past the capacity")
	}
	b.mem = append(b.mem, p...)
}

// Spare returns the writable space after the held bytes, to read into
// (empty when full); Commit then marks what was written as held. It is
// valid until the next Grow or Free.
func (b *Buffer) Spare() []byte { return b.mem[len(b.mem):cap(b.mem)] }

// Commit marks the first n bytes of Spare as held.
func (b *Buffer) Commit(n int) { b.mem = b.mem[:len(b.mem)+n] }

// Bytes returns the held bytes. They are valid until the next Grow or
// Free: copy them (string(b.Bytes()), bytes.Clone) before they leave the
// Buffer's owner.
func (b *Buffer) Bytes() []byte { return b.mem }

// Free unmaps the Buffer's memory, leaving it empty and usable again. It
// is harmless on an empty or freed Buffer: a mapping is unmapped once.
func (b *Buffer) Free() {
	if cap(b.mem) == 0 {
		return
	}
	b.cleanup.Stop()
	mem := b.mem[:cap(b.mem)]
	b.mem = nil
	unmapRegion(region{addrOf(mem), len(mem)})
}

// unmapRegion unmaps r and updates the counters. A failure to unmap
// memory this package mapped is a bug: it panics rather than leak.
func unmapRegion(r region) {
	if err := unmap(r.addr, r.size); err != nil {
		panic("offheap: munmap: " + err.Error())
	}
	mappedBytes.Add(-int64(r.size))
	mappings.Add(-1)
}

// noCopy makes go vet's copylocks check report copies of a Buffer.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
