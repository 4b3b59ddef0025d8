package datastream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Compressing while sending (EncodeOwned): a large payload's header leaves
// once its first part is compressed, and the rest is compressed beside the
// sending, so the sender's compression overlaps the transfer instead of
// preceding it (bench/rpc row 2b: deflating 1 MiB before the first packet
// was 6 % of the round trip's CPU, all of it latency).
const (
	// StreamCompressMin is the smallest payload EncodeOwned compresses as
	// it sends. Below it the whole payload is compressed first, which
	// takes at most about a millisecond and may find it fits one packet.
	StreamCompressMin = 128 << 10
	// decideBytes is the prefix compressed before the header leaves: the
	// payload is sent compressed when the prefix saves MinSavingsDivisor.
	decideBytes = 32 << 10
	// deflateStepBytes is how much text the compressor takes at a time:
	// how soon it notices Close.
	deflateStepBytes = 64 << 10
)

// deflater compresses one stream's text into chunks: the first part at
// once (startDeflate), the rest on a goroutine of its own (run) from the
// moment the header is out, as fast as it goes, while the sender cuts
// chunks from what is ready. So compression runs beside the sending, and
// the compressed size is known long before the last chunk (for the
// progress a caller shows).
type deflater struct {
	w     *flate.Writer // the compressor's until it is closed
	level int
	text  string // not yet compressed: the compressor's once it runs

	mu      sync.Mutex
	out     bytes.Buffer  // compressed bytes not yet cut into chunks
	done    bool          // all text compressed and the writer closed
	err     error         // compress/flate failed
	stopped bool          // Close: stop compressing
	more    chan struct{} // a token when out grew or done was set
	ended   chan struct{} // closed when run returns

	wire int // compressed bytes cut into chunks so far (the sender's)
}

// startDeflate compresses text's first decideBytes and flushes them, so
// that their compressed size is known. It returns nil, with nothing held,
// when that prefix does not save MinSavingsDivisor.
func startDeflate(text string, level int) (*deflater, error) {
	d := &deflater{level: level, text: text, more: make(chan struct{}, 1), ended: make(chan struct{})}
	w, err := pooledWriter(level, deflaterOutput{d})
	if err != nil {
		return nil, err
	}
	d.w = w
	n := min(len(text), decideBytes)
	_, err = w.Write(stringBytes(text[:n]))
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		d.release()
		return nil, fmt.Errorf("datastream: compress: %w", err)
	}
	d.text = text[n:]
	if !savesEnough(d.out.Len(), n) {
		d.release()
		return nil, nil
	}
	return d, nil
}

// estimate is the compressed size of a text of n bytes at the ratio of
// the part compressed so far (startDeflate's, before run starts).
func (d *deflater) estimate(n int) int {
	return int(int64(d.out.Len()) * int64(n) / int64(decideBytes))
}

// deflaterOutput is where the compressor writes: d.out, under d.mu.
type deflaterOutput struct{ d *deflater }

func (o deflaterOutput) Write(p []byte) (int, error) {
	o.d.mu.Lock()
	n, _ := o.d.out.Write(p)
	o.d.mu.Unlock()
	o.d.signal()
	return n, nil
}

// signal leaves a token for a waiting chunk call.
func (d *deflater) signal() {
	select {
	case d.more <- struct{}{}:
	default:
	}
}

// run compresses the rest of the text, then closes the writer; it stops
// between steps once Close was called.
func (d *deflater) run() {
	defer close(d.ended)
	var err error
	for len(d.text) > 0 && err == nil && !d.isStopped() {
		n := min(len(d.text), deflateStepBytes)
		_, err = d.w.Write(stringBytes(d.text[:n]))
		d.text = d.text[n:]
	}
	if err == nil && len(d.text) == 0 {
		err = d.w.Close()
	}
	d.release()
	d.mu.Lock()
	d.done, d.err = err == nil && len(d.text) == 0, err
	d.mu.Unlock()
	d.signal()
}

func (d *deflater) isStopped() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopped
}

// chunk returns the next at most max compressed bytes (fresh memory: the
// packet keeps them), waiting for the compressor when fewer are ready;
// nil once everything is out. It fails if compress/flate did, or after
// Close.
func (d *deflater) chunk(max int) ([]byte, error) {
	for {
		d.mu.Lock()
		switch {
		case d.err != nil:
			d.mu.Unlock()
			return nil, fmt.Errorf("datastream: compress: %w", d.err)
		case d.stopped:
			d.mu.Unlock()
			return nil, errDeflaterClosed
		case d.out.Len() >= max || (d.done && d.out.Len() > 0):
			c := make([]byte, min(max, d.out.Len()))
			_, _ = d.out.Read(c)
			d.mu.Unlock()
			d.wire += len(c)
			return c, nil
		case d.done:
			d.mu.Unlock()
			return nil, nil
		}
		d.mu.Unlock()
		<-d.more
	}
}

// errDeflaterClosed: chunk after Close.
var errDeflaterClosed = errors.New("datastream: packets closed")

// total is the whole compressed size once every text byte is compressed,
// and -1 before.
func (d *deflater) total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.done {
		return -1
	}
	return d.wire + d.out.Len()
}

// close stops the compressor at its next step. Harmless twice.
func (d *deflater) close() {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
}

// release returns the writer to its pool (the compressor's goroutine, or
// startDeflate's, calls it). Harmless twice.
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
