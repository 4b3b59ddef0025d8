package datastream

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/lkrpc/lkrpc/internal/offheap"
)

// chunkList holds an open stream's chunks as they arrived, without copying
// them (the receiver owns its packets): what a stream holds is the bytes
// received, never the up to twice as many a doubling buffer holds while
// it grows, nor the copies it leaves behind. The whole content is put
// together once, at the trailer.
type chunkList struct {
	parts [][]byte
	n     int
}

func (c *chunkList) append(p []byte) {
	if len(p) > 0 {
		c.parts = append(c.parts, p)
		c.n += len(p)
	}
}

func (c *chunkList) len() int { return c.n }

// bytes returns the content in one fresh slice of its exact size (fresh
// even for one chunk: the result becomes a string that must not share the
// packet's memory) and lets the chunks go.
func (c *chunkList) bytes() []byte {
	out := make([]byte, 0, c.n)
	for _, p := range c.parts {
		out = append(out, p...)
	}
	c.parts = nil
	return out
}

// moveTo copies the content to dst (at least len() bytes long) and lets
// the chunks go.
func (c *chunkList) moveTo(dst []byte) {
	off := 0
	for _, p := range c.parts {
		off += copy(dst[off:], p)
	}
	c.parts, c.n = nil, 0
}

// Off-heap buffering (internal/offheap): an open stream's bytes past
// offHeapMin wait in memory mapped outside the Go heap, so that a full
// MaxBufferedBytes costs the process that much and not the twice as much
// the garbage collector's pacing lets a heap of that size grow to.
const (
	// offHeapMin is the most a stream holds on the Go heap, as a
	// chunkList: below it a mapping's system calls and whole pages cost
	// more than the heap does (a chunked stream is at least 15 KiB).
	offHeapMin = 64 << 10
	// growthDivisor and growthMin set how much a mapping grows past the
	// bytes it must hold: an eighth of its size, at least 64 KiB, so a
	// 10 MiB stream is remapped about 30 times and holds at most an eighth
	// more than it received (never more than its ceiling, and only while
	// MaxBufferedBytes leaves room for it).
	growthDivisor = 8
	growthMin     = 64 << 10
)

// content is what an open stream has received: as a chunkList while small,
// then in an offheap.Buffer. What it costs, charged(), is what the
// assembler counts against MaxBufferedBytes: the bytes of its chunks, or
// the whole mapping.
type content struct {
	small  chunkList
	mapped offheap.Buffer
	// offHeapMin is the size from which it is mapped (offHeapMin, or
	// smaller in tests); heap-only where offheap is unsupported.
	offHeapMin int
}

func (c *content) len() int { return c.small.len() + c.mapped.Len() }

// charged is the memory the content holds.
func (c *content) charged() int64 { return int64(c.small.len()) + int64(c.mapped.Cap()) }

// errBudget: adding the bytes would take the content past its budget.
var errBudget = errors.New("over budget")

// add appends p, taking at most budget bytes of memory in all (charged()
// never exceeds it) and mapping at most ceiling bytes (rounded to pages),
// the most the stream may ever hold. It fails with errBudget, or with the
// error of a mapping that failed, and then holds what it held before.
func (c *content) add(p []byte, budget, ceiling int64) error {
	held := int64(c.len()) + int64(len(p))
	if c.staysSmall(held) {
		if held > budget {
			return errBudget
		}
		c.small.append(p)
		return nil
	}
	if held > int64(c.mapped.Cap()) {
		size := int64(offheap.Round(int(min(ceiling, max(held,
			int64(c.mapped.Cap())+max(int64(c.mapped.Cap())/growthDivisor, growthMin))))))
		if size > budget {
			// No room for the slack: map exactly what is needed.
			if size = int64(offheap.Round(int(held))); size > budget {
				return errBudget
			}
		}
		if err := c.mapped.Grow(int(size)); err != nil {
			return err
		}
		if c.small.len() > 0 {
			// First mapping: the chunks so far move into it.
			n := c.small.len()
			c.small.moveTo(c.mapped.Spare())
			c.mapped.Commit(n)
		}
	}
	c.mapped.Append(p)
	return nil
}

// addCopy is add for bytes the caller reuses: the chunk list keeps what
// it is given, so bytes that stay on the heap are copied first.
func (c *content) addCopy(p []byte, budget, ceiling int64) error {
	if c.staysSmall(int64(c.len()) + int64(len(p))) {
		p = bytes.Clone(p)
	}
	return c.add(p, budget, ceiling)
}

// staysSmall reports whether content of held bytes stays a chunk list.
func (c *content) staysSmall(held int64) bool {
	return c.mapped.Cap() == 0 && (!offheap.Supported || held <= int64(c.offHeapMin))
}

// bytes returns the content and whether it is the caller's to keep (fresh
// Go memory). When it is not, it is valid only until release: copy it.
func (c *content) bytes() (b []byte, owned bool) {
	if c.mapped.Cap() > 0 {
		return c.mapped.Bytes(), false
	}
	return c.small.bytes(), true
}

// release lets the content go: the mapping is unmapped at once. Harmless
// twice.
func (c *content) release() {
	c.small = chunkList{}
	c.mapped.Free()
}

// stringBytes returns the bytes of s without copying them, for content
// that is only ever read (Encode's packets are read-only). An empty s gives
// an empty, non-nil slice, as []byte(s) does.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// bytesToString returns b as a string without copying it, for fresh Go
// memory the caller never writes again (the condition unsafe.String
// requires): a payload can be tens of MiB.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
