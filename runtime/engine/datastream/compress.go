package datastream

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/lkrpc/lkrpc/internal/offheap"
)

// errOverBudget stops a compression whose output can no longer qualify.
var errOverBudget = errors.New("compressed output over budget")

// compressBudget is the largest compressed size worth finishing: one that
// saves MinSavingsDivisor, or, when an inline header is allowed, anything
// smaller than the plain text that could still fit one packet.
func compressBudget(textLen int, inline bool) int {
	budget := textLen - textLen/MinSavingsDivisor
	if inline {
		budget = max(budget, min(textLen-1, MaxHeaderBytes))
	}
	return budget
}

// savesEnough reports whether compressed bytes are worth sending instead of
// plain ones in a chunked stream.
func savesEnough(compressedLen, textLen int) bool {
	return compressedLen <= textLen-textLen/MinSavingsDivisor
}

// writerPools keeps one pool of flate writers per level (index level -
// flate.HuffmanOnly): a writer costs hundreds of KiB to allocate, more than
// compressing a small payload.
var writerPools [flate.BestCompression - flate.HuffmanOnly + 1]sync.Pool

// deflate compresses text as raw DEFLATE at level (already range-checked).
// It returns nil, nil as soon as the output exceeds budget bytes.
func deflate(text string, level, budget int) ([]byte, error) {
	pool := &writerPools[level-flate.HuffmanOnly]
	out := &cappedBuffer{limit: budget}
	w, _ := pool.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriter(out, level); err != nil {
			return nil, fmt.Errorf("datastream: %w", err)
		}
	} else {
		w.Reset(out)
	}
	defer func() {
		w.Reset(io.Discard) // do not pin the output while pooled
		pool.Put(w)
	}()

	err := writeString(w, text)
	if err == nil {
		err = w.Close()
	}
	if errors.Is(err, errOverBudget) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("datastream: compress: %w", err)
	}
	return out.buf.Bytes(), nil
}

// copyBufferBytes is the most writeString copies at a time.
const copyBufferBytes = 32 << 10

// writeString feeds text to w through a buffer of at most copyBufferBytes:
// flate.Writer has no WriteString, and converting the whole text would
// copy it all. The buffer escapes (w is an interface), so it is sized to
// the text: a fixed 32 KiB array cost a 32 KiB allocation per small
// payload, eight times the rest of encoding it (bench/rpc row 7).
func writeString(w io.Writer, text string) error {
	buf := make([]byte, min(len(text), copyBufferBytes))
	for len(text) > 0 {
		n := copy(buf, text)
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
		text = text[n:]
	}
	return nil
}

// cappedBuffer is a bytes.Buffer that refuses to grow past limit.
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.limit {
		return 0, errOverBudget
	}
	return c.buf.Write(p)
}

var readerPool sync.Pool // of io.ReadCloser from flate.NewReader, also flate.Resetter

// maxDeflateRatio bounds how many bytes one byte of DEFLATE data can
// inflate to (a length-258 match costs at least two bits: 258 × 4 = 1032).
const maxDeflateRatio = 1032

// inflate decompresses raw DEFLATE data, producing at most limit bytes.
// It reports tooLong when the data would inflate to more, without
// inflating further, so a deflate bomb costs at most limit bytes.
// expect, when positive, is the size the sender announced: the output is
// inflated into a buffer of that size (bounded by what data could possibly
// inflate to, so a small stream claiming a large size gains no
// allocation), which becomes the payload. Without it the output grows in
// memory mapped off the Go heap (where supported) and is copied once, at
// its exact size, to the Go heap: no doubling buffer's copies are left
// behind. out is always fresh Go memory.
func inflate(data []byte, limit, expect int64) (out []byte, tooLong bool, err error) {
	src := bytes.NewReader(data)
	r, _ := readerPool.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, false, err
	}
	defer func() {
		// Do not pin the compressed input while pooled.
		_ = r.(flate.Resetter).Reset(bytes.NewReader(nil), nil)
		readerPool.Put(r)
	}()

	if expect = min(expect, limit, int64(len(data))*maxDeflateRatio); expect > 0 || !offheap.Supported {
		buf := growBuffer{max: limit}
		if expect > 0 {
			buf.reserve(int(expect))
		}
		if tooLong, err = inflateInto(r, &buf); tooLong || err != nil {
			return nil, tooLong, err
		}
		out = buf.bytes()
	} else {
		buf := mappedSink{max: limit}
		defer buf.b.Free()
		if tooLong, err = inflateInto(r, &buf); tooLong || err != nil {
			return nil, tooLong, err
		}
		out = bytes.Clone(buf.b.Bytes())
	}
	if src.Len() != 0 {
		return nil, false, fmt.Errorf("%d bytes after the end of the DEFLATE data", src.Len())
	}
	return out, false, nil
}

// sink is where inflateInto writes: growBuffer or mappedSink.
type sink interface {
	full() bool
	spare() ([]byte, error) // writable space; empty only when full
	commit(n int)
}

// inflateInto reads r into buf until EOF, or until buf is full and one
// more byte shows the output too long.
func inflateInto(r io.Reader, buf sink) (tooLong bool, err error) {
	for {
		if buf.full() {
			// One more byte decides between "exactly limit" and "too long".
			var one [1]byte
			n, err := io.ReadFull(r, one[:])
			if n > 0 {
				return true, nil
			}
			if err != io.EOF {
				return false, err
			}
			return false, nil
		}
		spare, err := buf.spare()
		if err != nil {
			return false, err
		}
		n, err := r.Read(spare)
		buf.commit(n)
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// mappedSink is an offheap.Buffer of at most max bytes, grown as content
// does (see content.add for the growth).
type mappedSink struct {
	b   offheap.Buffer
	max int64
}

func (m *mappedSink) full() bool { return int64(m.b.Len()) >= m.max }

func (m *mappedSink) spare() ([]byte, error) {
	if m.b.Len() == m.b.Cap() {
		c := int64(m.b.Cap())
		if err := m.b.Grow(int(min(m.max, c+max(c/growthDivisor, growthMin)))); err != nil {
			return nil, err
		}
	}
	s := m.b.Spare()
	return s[:min(int64(len(s)), m.max-int64(m.b.Len()))], nil
}

func (m *mappedSink) commit(n int) { m.b.Commit(n) }
