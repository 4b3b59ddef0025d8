package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// pendingCall is one outgoing call awaiting its ack and response. It is in
// the pending table from add until exactly one completion path takes it out
// and settles it; its deadlines and timer are set under the table's lock
// while it is in the table.
type pendingCall struct {
	id   string
	dest string
	done chan struct{} // closed by settle

	// Written by settle before done is closed; read after.
	reply transport.Reply
	err   error

	acked bool
	// One timer serves both deadlines, firing at the earlier one that is
	// still due and re-armed from there (see schedule): one timer per call
	// instead of two, and an ack costs no timer operation.
	ackBy   time.Time // set just before the request is published
	replyBy time.Time // set once the request is published
	timer   *time.Timer
	timerAt time.Time // when timer fires; zero when it is not armed

	stopWatch func() bool // stops the ctx watcher (stream uploads only)
	progress  *reporter   // nil unless the call asked for progress
}

// settle completes a call that has been taken out of the table. Only the
// path that took it out calls settle, so it runs once per call. Closing
// done also ends the upload (p.upload).
func (p *pendingCall) settle(reply transport.Reply, err error) {
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.stopWatch != nil {
		p.stopWatch()
	}
	p.reply, p.err = reply, err
	close(p.done)
}

// upload is the context of p's request upload: done, with
// context.Canceled, once p has ended. It costs nothing beyond p, where
// context.WithCancel cost two allocations and a cancellation per call.
type upload pendingCall

func (p *pendingCall) upload() context.Context { return (*upload)(p) }

func (*upload) Deadline() (time.Time, bool) { return time.Time{}, false }
func (u *upload) Done() <-chan struct{}     { return u.done }
func (*upload) Value(any) any               { return nil }

func (u *upload) Err() error {
	select {
	case <-u.done:
		return context.Canceled
	default:
		return nil
	}
}

// due is the earlier of p's deadlines still to be met; zero when none is.
func (p *pendingCall) due() time.Time {
	at := p.replyBy
	if !p.acked && !p.ackBy.IsZero() && (at.IsZero() || p.ackBy.Before(at)) {
		at = p.ackBy
	}
	return at
}

// Which of a call's deadlines has passed (expired).
const (
	noneExpired = iota
	ackExpired
	replyExpired
)

// expired says which of p's deadlines has passed at now: the response
// deadline wins a tie (it is the one the caller chose).
func (p *pendingCall) expired(now time.Time) int {
	switch {
	case !p.replyBy.IsZero() && !now.Before(p.replyBy):
		return replyExpired
	case !p.acked && !p.ackBy.IsZero() && !now.Before(p.ackBy):
		return ackExpired
	}
	return noneExpired
}

// pendingTable holds the engine's outgoing calls by request id. It is the
// one owner of the rule "every call ends exactly once": whoever takes a call
// out settles it; everybody else finds nothing to do. Once closed (the
// engine closed or its link was lost) it takes no new calls.
type pendingTable struct {
	log *slog.Logger

	mu     sync.Mutex
	calls  map[string]*pendingCall
	closed *rpcerr.Error // why new calls fail; nil while open
}

func newPendingTable(log *slog.Logger) *pendingTable {
	return &pendingTable{log: log, calls: make(map[string]*pendingCall)}
}

// add enters p, unless the table is closed (a copy of the reason, so each
// caller gets its own error value) or p's id is taken; then, still under
// the lock, it runs arm (when not nil).
func (t *pendingTable) add(p *pendingCall, arm func()) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed != nil:
		err := *t.closed
		return &err
	case t.calls[p.id] != nil:
		return rpcerr.New(rpcerr.SendFailed, "duplicate request id "+p.id+" (check WithIDs)")
	}
	t.calls[p.id] = p
	if arm != nil {
		arm()
	}
	return nil
}

// closedErr is why new calls fail (a copy), or nil while the table is open.
func (t *pendingTable) closedErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed == nil {
		return nil
	}
	err := *t.closed
	return &err
}

// setDeadline sets one of p's deadlines (set writes it) if p is still
// pending, and arms p's timer for it when it is the earliest; on expiry
// onTimer ends the call. A deadline is never set for a call that has
// already ended.
func (e *Engine) setDeadline(p *pendingCall, set func(*pendingCall)) {
	t := e.pending
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.calls[p.id] == p {
		set(p)
		e.schedule(p)
	}
}

// schedule arms p's timer for its next deadline unless it is armed for
// that or sooner (under the table's lock).
func (e *Engine) schedule(p *pendingCall) {
	at := p.due()
	if at.IsZero() || (!p.timerAt.IsZero() && !at.Before(p.timerAt)) {
		return
	}
	p.timerAt = at
	if p.timer == nil {
		p.timer = time.AfterFunc(time.Until(at), func() { e.onTimer(p) })
		return
	}
	p.timer.Reset(time.Until(at))
}

// onTimer ends p if a deadline has passed, else re-arms its timer for the
// next one (the ack came, and the response deadline is later).
func (e *Engine) onTimer(p *pendingCall) {
	t := e.pending
	t.mu.Lock()
	if t.calls[p.id] != p {
		t.mu.Unlock()
		return
	}
	p.timerAt = time.Time{}
	expired := p.expired(time.Now())
	if expired == noneExpired {
		e.schedule(p)
	}
	t.mu.Unlock()
	switch expired {
	case replyExpired:
		t.finish(p, transport.Reply{}, rpcerr.Builtin(rpcerr.ResponseTimeout))
	case ackExpired:
		// noAck asks the link, which is not asked under the table's lock.
		t.finish(p, transport.Reply{}, e.noAck(p.dest))
	}
}

// take removes and returns the call id if sender may answer it.
func (t *pendingTable) take(sender, id, what string) *pendingCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.calls[id]
	switch {
	case p == nil:
		t.log.Debug("lkrpc: "+what+" for unknown or finished call dropped", "request_id", id, "sender", sender)
		return nil
	case p.dest != sender:
		t.log.Debug("lkrpc: "+what+" from unexpected sender ignored", "request_id", id, "sender", sender, "expected", p.dest)
		return nil
	}
	delete(t.calls, id)
	return p
}

// finish completes p unless another path already did.
func (t *pendingTable) finish(p *pendingCall, reply transport.Reply, err error) bool {
	t.mu.Lock()
	if t.calls[p.id] != p {
		t.mu.Unlock()
		return false
	}
	delete(t.calls, p.id)
	t.mu.Unlock()
	p.settle(reply, err)
	return true
}

// resolve completes the call id with what sender answered. Answers for
// unknown calls, and from anyone but the participant called, are dropped.
func (t *pendingTable) resolve(sender, id string, reply transport.Reply, err error) {
	if p := t.take(sender, id, "response"); p != nil {
		p.settle(reply, err)
	}
}

// reporterOf is the progress reporter of call id when sender is its
// destination and it asked for progress, else nil.
func (t *pendingTable) reporterOf(sender, id string) *reporter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.calls[id]; p != nil && p.dest == sender {
		return p.progress
	}
	return nil
}

// acknowledge stops the ack timer of call id when sender is its destination.
func (t *pendingTable) acknowledge(sender, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.calls[id]
	switch {
	case p == nil:
		t.log.Debug("lkrpc: ack for unknown or finished call dropped", "request_id", id, "sender", sender)
	case p.dest != sender:
		t.log.Debug("lkrpc: ack from unexpected sender ignored", "request_id", id, "sender", sender, "expected", p.dest)
	default:
		// The timer, if armed for the ack deadline, re-arms itself then.
		p.acked = true
	}
}

// failTo ends every pending call to dest with err() (it left the room).
func (t *pendingTable) failTo(dest string, err func() error) {
	t.mu.Lock()
	var calls []*pendingCall
	for id, p := range t.calls {
		if p.dest == dest {
			delete(t.calls, id)
			calls = append(calls, p)
		}
	}
	t.mu.Unlock()
	for _, p := range calls {
		p.settle(transport.Reply{}, err())
	}
}

// detachAll closes the table with reason, unless it is already closed, and
// ends every pending call with a copy of reason.
func (t *pendingTable) detachAll(reason *rpcerr.Error) {
	t.mu.Lock()
	if t.closed == nil {
		t.closed = reason
	}
	calls := make([]*pendingCall, 0, len(t.calls))
	for id, p := range t.calls {
		delete(t.calls, id)
		calls = append(calls, p)
	}
	t.mu.Unlock()
	for _, p := range calls {
		err := *reason
		p.settle(transport.Reply{}, &err)
	}
}
