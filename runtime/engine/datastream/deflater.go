package datastream

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
)

// Compressing while sending (EncodeOwned): a large payload's header leaves
// once its first part is compressed, and the rest is compressed chunk by
// chunk as the packets are pulled, so the sender's compression overlaps
// the transfer instead of preceding it (bench/rpc row 2b: deflating 1 MiB
// before the first packet was 6 % of the round trip's CPU, all of it
// latency).
const (
	// StreamCompressMin is the smallest payload EncodeOwned compresses as
	// it sends. Below it the whole payload is compressed first, which
	// takes at most about a millisecond and may find it fits one packet.
	StreamCompressMin = 128 << 10
	// decideBytes is the prefix compressed before the header leaves: the
	// payload is sent compressed when the prefix saves MinSavingsDivisor.
	decideBytes = 32 << 10
	// deflateStepBytes is how much text one step compresses while the
	// compressed bytes do not fill a chunk yet.
	deflateStepBytes = 16 << 10
)

// deflater compresses one stream's text step by step into chunks.
type deflater struct {
	w     *flate.Writer
	level int
	out   bytes.Buffer // compressed bytes not yet cut into chunks
	text  string       // text not yet compressed
	wire  int          // compressed bytes cut into chunks so far
	done  bool         // all text compressed and the writer closed
}

// startDeflate compresses text's first decideBytes and flushes them, so
// that their compressed size is known. It returns nil, with nothing held,
// when that prefix does not save MinSavingsDivisor.
func startDeflate(text string, level int) (*deflater, error) {
	d := &deflater{level: level, text: text}
	w, err := pooledWriter(level, &d.out)
	if err != nil {
		return nil, err
	}
	d.w = w
	n := min(len(text), decideBytes)
	if err := d.write(n); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		d.release()
		return nil, fmt.Errorf("datastream: compress: %w", err)
	}
	if !savesEnough(d.out.Len(), n) {
		d.release()
		return nil, nil
	}
	return d, nil
}

// write compresses the next n bytes of text.
func (d *deflater) write(n int) error {
	if _, err := d.w.Write(stringBytes(d.text[:n])); err != nil {
		d.release()
		return fmt.Errorf("datastream: compress: %w", err)
	}
	d.text = d.text[n:]
	return nil
}

// chunk returns the next at most max compressed bytes (fresh memory: the
// packet keeps them), compressing more text first when fewer are ready;
// nil once everything is out. It fails only if compress/flate does.
func (d *deflater) chunk(max int) ([]byte, error) {
	for d.out.Len() < max && !d.done {
		if len(d.text) == 0 {
			if err := d.w.Close(); err != nil {
				d.release()
				return nil, fmt.Errorf("datastream: compress: %w", err)
			}
			d.release()
			d.done = true
			break
		}
		if err := d.write(min(len(d.text), deflateStepBytes)); err != nil {
			return nil, err
		}
	}
	if d.out.Len() == 0 {
		return nil, nil
	}
	c := make([]byte, min(max, d.out.Len()))
	_, _ = d.out.Read(c)
	d.wire += len(c)
	return c, nil
}

// total is the whole compressed size once every text byte is compressed,
// and -1 before.
func (d *deflater) total() int {
	if !d.done {
		return -1
	}
	return d.wire + d.out.Len()
}

// release returns the writer to its pool. Harmless twice.
func (d *deflater) release() {
	if d.w != nil {
		putWriter(d.level, d.w)
		d.w = nil
	}
}

// pooledWriter is a flate writer of level from writerPools, writing to out.
func pooledWriter(level int, out io.Writer) (*flate.Writer, error) {
	if w, _ := writerPools[level-flate.HuffmanOnly].Get().(*flate.Writer); w != nil {
		w.Reset(out)
		return w, nil
	}
	w, err := flate.NewWriter(out, level)
	if err != nil {
		return nil, fmt.Errorf("datastream: %w", err)
	}
	return w, nil
}

// putWriter pools w without pinning what it wrote to.
func putWriter(level int, w *flate.Writer) {
	w.Reset(io.Discard)
	writerPools[level-flate.HuffmanOnly].Put(w)
}
