package engine

import (
	"sync"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// streamCallTable holds the engine's running streaming calls by call id,
// and the reply streams that feed them by (sender, stream id).
type streamCallTable struct {
	mu      sync.Mutex
	calls   map[string]*streamCall
	replies map[streamKey]*streamCall // receive goroutine only
	closed  *rpcerr.Error             // why new calls fail; nil while open
}

func newStreamCallTable() *streamCallTable {
	return &streamCallTable{calls: make(map[string]*streamCall), replies: make(map[streamKey]*streamCall)}
}

func (t *streamCallTable) add(sc *streamCall) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed != nil {
		return t.closed
	}
	t.calls[sc.id] = sc
	return nil
}

func (t *streamCallTable) remove(sc *streamCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.calls[sc.id] == sc {
		delete(t.calls, sc.id)
	}
}

// lookup is the running call id whose destination is sender.
func (t *streamCallTable) lookup(sender, id string) *streamCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sc := t.calls[id]; sc != nil && sc.dest == sender {
		return sc
	}
	return nil
}

// failTo ends every call to dest with err (it left the room).
func (t *streamCallTable) failTo(dest string, err func() error) {
	for _, sc := range t.matching(func(sc *streamCall) bool { return sc.dest == dest }) {
		sc.fail(err(), 0)
	}
}

// closeAll ends every call with reason, refuses new ones, and returns the
// calls it ended whose handlers had not ended their replies.
func (t *streamCallTable) closeAll(reason *rpcerr.Error) []*streamCall {
	t.mu.Lock()
	if t.closed == nil {
		t.closed = reason
	}
	t.mu.Unlock()
	var running []*streamCall
	for _, sc := range t.matching(func(*streamCall) bool { return true }) {
		if sc.fail(reason, 0) {
			running = append(running, sc)
		}
	}
	return running
}

func (t *streamCallTable) matching(keep func(*streamCall) bool) []*streamCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*streamCall
	for _, sc := range t.calls {
		if keep(sc) {
			out = append(out, sc)
		}
	}
	return out
}
