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
// and settles it; its timers are set under the table's lock while it is in
// the table.
type pendingCall struct {
	id   string
	dest string
	done chan struct{} // closed by settle

	// Written by settle before done is closed; read after.
	reply transport.Reply
	err   error

	acked      bool
	ackTimer   *time.Timer // armed just before the request is published
	respTimer  *time.Timer
	stopWatch  func() bool        // stops the ctx watcher
	cancelSend context.CancelFunc // stops the request upload
	progress   *reporter          // nil unless the call asked for progress
}

// settle completes a call that has been taken out of the table. Only the
// path that took it out calls settle, so it runs once per call.
func (p *pendingCall) settle(reply transport.Reply, err error) {
	if p.ackTimer != nil {
		p.ackTimer.Stop()
	}
	if p.respTimer != nil {
		p.respTimer.Stop()
	}
	if p.stopWatch != nil {
		p.stopWatch()
	}
	p.cancelSend()
	p.reply, p.err = reply, err
	close(p.done)
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

// whilePending runs fn under the table's lock if p is still pending, so
// that a timer is never armed for a call that has already ended.
func (t *pendingTable) whilePending(p *pendingCall, fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.calls[p.id] == p {
		fn()
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
	case !p.acked:
		p.acked = true
		if p.ackTimer != nil {
			p.ackTimer.Stop()
		}
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
