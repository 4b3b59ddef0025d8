package datastream

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"
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
