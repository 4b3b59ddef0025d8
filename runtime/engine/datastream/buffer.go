package datastream

import "unsafe"

// growBuffer accumulates bytes up to max without ever allocating more than
// max: capacity doubles from a small start, so a header that merely claims
// a large total_length costs nothing until the bytes arrive.
type growBuffer struct {
	b   []byte
	max int64
}

const initialBuffer = 4096

// full reports whether max bytes are held.
func (g *growBuffer) full() bool { return int64(len(g.b)) >= g.max }

// spare returns writable space after the held bytes (empty only when full).
func (g *growBuffer) spare() []byte {
	if len(g.b) == cap(g.b) {
		g.reserve(1)
	}
	return g.b[len(g.b):cap(g.b)]
}

// commit marks n bytes of spare() as held.
func (g *growBuffer) commit(n int) { g.b = g.b[:len(g.b)+n] }

// append adds p; the caller has checked it fits max.
func (g *growBuffer) append(p []byte) {
	if cap(g.b)-len(g.b) < len(p) {
		g.reserve(len(p))
	}
	g.b = append(g.b, p...)
}

// reserve makes room for at least n more bytes, capped at max.
func (g *growBuffer) reserve(n int) {
	need := int64(len(g.b)) + int64(n)
	c := max(int64(cap(g.b))*2, need, initialBuffer)
	c = min(c, max(g.max, need))
	nb := make([]byte, len(g.b), c)
	copy(nb, g.b)
	g.b = nb
}

func (g *growBuffer) len() int { return len(g.b) }

func (g *growBuffer) bytes() []byte { return g.b }

// bytesToString returns the bytes as a string without copying them: a payload can
// be tens of MiB and the buffer is dropped right after, never written
// again, which is the condition unsafe.String requires.
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

// stringBytes returns the bytes of s without copying them, for content
// that is only ever read (Encode's packets are read-only). An empty s gives
// an empty, non-nil slice, as []byte(s) does.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
