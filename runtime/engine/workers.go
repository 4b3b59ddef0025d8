package engine

import "context"

// maxWorkers bounds the serving goroutines an engine keeps (see startServe).
const maxWorkers = 64

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
// fresh stack to what serving takes (presizeStack) every time; a worker
// keeps its grown stack from one request to the next. So a job goes to an
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
		e.runServe(job)
	}()
}

// work serves job, then whatever startServe hands it, until the engine's
// life ends.
func (e *Engine) work(job serveJob) {
	defer e.wg.Done()
	for {
		e.runServe(job)
		select {
		case job = <-e.jobs:
		case <-e.life.Done():
			return
		}
	}
}

func (e *Engine) runServe(job serveJob) {
	defer e.releaseCaller(job.caller, job.st)
	job.fn(job.st.ctx, job.overLimit)
}
