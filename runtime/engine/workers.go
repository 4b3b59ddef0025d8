package engine

import (
	"context"

	"github.com/lkrpc/lkrpc/internal/presize"
)

// maxWorkers bounds the serving goroutines an engine keeps (see startServe).
const maxWorkers = 256

// serveJob is one request (or streaming request) to serve: fn with the
// caller's context.
type serveJob struct {
	caller    string
	st        *callerState
	overLimit bool
	fn        func(ctx context.Context, overLimit bool)
}

// startServe runs job on a goroutine that Close waits for (under e.mu).
//
// Each request needs a goroutine of its own, as a slow handler must not
// hold up the receive goroutine or another request. Starting one per
// request cost, in a burst of small calls, the goroutine and growing its
// fresh stack to what serving takes (presize.Serve) every time; a worker
// keeps its grown stack from one request to the next (awaitJob). So a job goes to an
// idle worker when there is one, else to a new worker while there are
// fewer than maxWorkers, else to a goroutine of its own: jobs never wait
// for a worker. Workers stay until the engine's life ends (Close or the
// link lost); jobs that come after that get goroutines of their own.
func (e *Engine) startServe(job serveJob) {
	select {
	case e.jobs <- job: // a worker waiting in work takes it
		return
	default:
	}
	e.wg.Add(1)
	if e.workers < maxWorkers {
		e.workers++
		go e.work(job)
		return
	}
	go func() {
		defer e.wg.Done()
		presize.Serve(0)
		e.runServe(job)
	}()
}

// work serves job, then whatever startServe hands it, until the engine's
// life ends.
func (e *Engine) work(job serveJob) {
	defer e.wg.Done()
	presize.Serve(0)
	for ok := true; ok; job, ok = e.awaitJob(0) {
		e.runServe(job)
	}
}

// idleFrame is awaitJob's frame. At each GC, Go halves the stack of a
// goroutine that uses less than a quarter of it; a worker waiting with a
// shallow stack lost half of its 16 KiB each time and grew it back deep
// in its next request (in bench row 6, copying stacks was most of what
// serving spent beyond the handler and the sends). Waiting with a quarter
// of it in use keeps it.
const idleFrame = 4 << 10

// awaitJob waits for startServe's next job; false when the engine's life
// has ended. i is any index of the frame (see package presize).
//
//go:noinline
func (e *Engine) awaitJob(i int) (serveJob, bool) {
	var frame [idleFrame]byte
	frame[i%idleFrame] = 1
	select {
	case job := <-e.jobs:
		return job, frame[(i+1)%idleFrame] == 0 // always: only i is set
	case <-e.life.Done():
		return serveJob{}, false
	}
}

func (e *Engine) runServe(job serveJob) {
	defer e.releaseCaller(job.caller, job.st)
	job.fn(job.st.ctx, job.overLimit)
}
