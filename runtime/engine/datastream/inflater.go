package datastream

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"iter"
	"math"
	"sync"
)

// inflater inflates one compressed stream as its chunks arrive, so that at
// the trailer only the last chunk is left to inflate: the chunks of a
// compressed stream are one raw DEFLATE stream cut anywhere (PROTOCOL.md
// §4), and inflating them while the rest is still on its way overlaps the
// work with the transfer instead of adding it after the last byte.
//
// Inflating is compress/flate's, not klauspost's (which compresses): given
// DEFLATE data cut short after a complete symbol, without its final block,
// klauspost's inflater reports a clean end where compress/flate reports
// io.ErrUnexpectedEOF (FuzzInflate found it; TestCorruptDeflate's "no
// final block"), and a cut-short payload must fail, not pass as whole.
//
// compress/flate pulls its input from an io.Reader and cannot resume once
// that reader has run dry, so the inflating loop runs as a coroutine
// (iter.Pull): when it needs input it yields, and feed resumes it with the
// next chunk. It only ever runs inside feed and finish, while their caller
// waits, so the Assembler reads its state without locks.
type inflater struct {
	src  chunkSource
	next func() (struct{}, bool) // resumes the loop; false once it returned
	stop func()

	out    *content // where the inflated bytes go (the stream's content)
	limit  int64    // the most bytes the payload may have
	budget int64    // the most memory out may hold, set before each resume
	wire   int64    // compressed bytes fed

	// The loop's outcome, once it returned: errTooLong, a content.add
	// error (bufferError), or the DEFLATE data's own (corrupt).
	ended bool
	err   error
}

// errTooLong: the data inflates to more than the limit.
var errTooLong = errors.New("inflates past the limit")

// bufferError is content.add's failure while inflating: errBudget or a
// mapping that failed, as opposed to corrupt data.
type bufferError struct{ err error }

func (b bufferError) Error() string { return b.err.Error() }

// errStopped ends a loop whose stream was forgotten before its end.
var errStopped = errors.New("stopped")

// inflateScratchBytes is how much the loop inflates at a time before
// handing the bytes to out.
const inflateScratchBytes = 32 << 10

var readerPool sync.Pool // of io.ReadCloser from flate.NewReader, also flate.Resetter

// newInflater inflates into out, refusing a payload longer than limit.
func newInflater(out *content, limit int64) *inflater {
	f := &inflater{out: out, limit: limit}
	f.next, f.stop = iter.Pull(f.run)
	return f
}

// run is the coroutine: the whole inflation, yielding whenever the input
// runs dry (chunkSource).
func (f *inflater) run(yield func(struct{}) bool) {
	f.src.yield = yield
	f.inflateAll()
}

// inflateAll inflates the source to its end (or the first error) into out
// and records the outcome.
func (f *inflater) inflateAll() {
	r, _ := readerPool.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(&f.src)
	} else if err := r.(flate.Resetter).Reset(&f.src, nil); err != nil {
		f.ended, f.err = true, err
		return
	}
	f.err = f.inflate(r)
	f.ended = true
	// Do not pin the stream while pooled.
	_ = r.(flate.Resetter).Reset(bytes.NewReader(nil), nil)
	readerPool.Put(r)
}

// inflate reads r to its end into out. The scratch buffer is no larger
// than the payload may be (plus the byte that shows it too long): an
// inline payload is often a few KiB.
func (f *inflater) inflate(r io.Reader) error {
	scratch := make([]byte, min(inflateScratchBytes, f.limit+1))
	for {
		n, err := r.Read(scratch)
		if n > 0 {
			if int64(f.out.len())+int64(n) > f.limit {
				return errTooLong
			}
			if err := f.out.addCopy(scratch[:n], f.budget, f.limit); err != nil {
				return bufferError{err}
			}
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
}

// feed inflates what p completes, holding at most budget bytes of memory
// in out. It returns the loop's error once it ended: errTooLong, a
// bufferError, or corrupt data, including bytes after the DEFLATE data's
// end.
func (f *inflater) feed(p []byte, budget int64) error {
	f.wire += int64(len(p))
	if f.ended {
		if f.err == nil && len(p) > 0 {
			f.err = errTrailing
		}
		return f.err
	}
	f.src.set(p)
	f.budget = budget
	f.next()
	return f.outcome()
}

// finish tells the loop that no more input comes and returns its outcome:
// nil only when the DEFLATE data ended exactly at the end of the input.
func (f *inflater) finish(budget int64) error {
	if !f.ended {
		f.src.last, f.budget = true, budget
		f.next()
	}
	if !f.ended {
		// Cannot happen: with its input over, the loop returns.
		return errors.New("inflater did not end")
	}
	return f.outcome()
}

// errTrailing: bytes follow the end of the DEFLATE data.
var errTrailing = errors.New("bytes after the end of the DEFLATE data")

// outcome is the loop's error once it ended, counting unread input as
// trailing bytes; nil while it waits for more.
func (f *inflater) outcome() error {
	if f.ended && f.err == nil && f.src.unread() > 0 {
		f.err = errTrailing
	}
	return f.err
}

// release ends the loop if it is still waiting for input. Harmless twice.
func (f *inflater) release() { f.stop() }

// chunkSource is the loop's input: the chunk being fed. When it runs dry
// before the last one it yields, and the loop waits inside Read or
// ReadByte until feed resumes it with the next chunk. compress/flate calls
// ReadByte for nearly every byte, so its common case is kept to an index.
type chunkSource struct {
	cur   []byte
	pos   int  // the next byte of cur
	last  bool // finish was called: no more input
	yield func(struct{}) bool
}

// set makes p the input.
func (s *chunkSource) set(p []byte) { s.cur, s.pos = p, 0 }

// unread is the input not read yet.
func (s *chunkSource) unread() int { return len(s.cur) - s.pos }

// wait returns once there is input: io.EOF at the end of the input,
// errStopped when the stream was forgotten.
func (s *chunkSource) wait() error {
	for s.pos == len(s.cur) {
		if s.last {
			return io.EOF
		}
		if !s.yield(struct{}{}) {
			return errStopped
		}
	}
	return nil
}

func (s *chunkSource) ReadByte() (byte, error) {
	if s.pos == len(s.cur) {
		if err := s.wait(); err != nil {
			return 0, err
		}
	}
	b := s.cur[s.pos]
	s.pos++
	return b, nil
}

func (s *chunkSource) Read(p []byte) (int, error) {
	if err := s.wait(); err != nil {
		return 0, err
	}
	n := copy(p, s.cur[s.pos:])
	s.pos += n
	return n, nil
}

// inflateWhole inflates data that came whole (an inline header's content)
// into c, at most limit bytes: the same loop, run directly, as all its
// input is there (no coroutine to start). The output is the caller's for
// the moment it takes to copy it, so only the limit bounds its memory (a
// mapping holds whole pages past it).
func inflateWhole(c *content, data []byte, limit int64) error {
	f := &inflater{out: c, limit: limit, budget: math.MaxInt64, wire: int64(len(data))}
	f.src.set(data)
	f.src.last = true // wait never yields
	f.inflateAll()
	return f.outcome()
}
