package datastream

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/flate"
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
	out := &cappedBuffer{limit: budget}
	w, err := pooledWriter(level, out)
	if err != nil {
		return nil, err
	}
	defer putWriter(level, w)
	// flate copies its input into its window: the text's bytes are only
	// read.
	_, err = w.Write(stringBytes(text))
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
