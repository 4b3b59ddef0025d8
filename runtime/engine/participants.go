package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// roster is what the engine learns about remote participants from the
// link's events: it wakes WaitParticipant when the room announces someone.
// The link remains the one source of what a participant advertises.
type roster struct {
	mu      sync.Mutex
	watches map[string]*watch // identity → the waiters for its announcement
}

// watch is closed (ch) when its identity is announced; n counts the waiters
// so that the entry goes away with the last one even if nobody is announced.
type watch struct {
	ch chan struct{}
	n  int
}

func (r *roster) init() {
	r.watches = make(map[string]*watch)
}

// watch returns a channel closed when identity is next announced (joined
// or updated), and a release func to call once no longer waiting.
func (r *roster) watch(identity string) (<-chan struct{}, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.watches[identity]
	if w == nil {
		w = &watch{ch: make(chan struct{})}
		r.watches[identity] = w
	}
	w.n++
	return w.ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		w.n--
		if w.n == 0 && r.watches[identity] == w {
			delete(r.watches, identity)
		}
	}
}

// announced wakes the waiters for identity.
func (r *roster) announced(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.watches[identity]; w != nil {
		delete(r.watches, identity)
		close(w.ch)
	}
}

// left forgets what was learned about identity: a participant that joins
// again under the same identity is a new session.
func (r *roster) left(identity string) {}

// WaitParticipant returns what the room says about identity: at once when
// the room has already announced it, otherwise when its announcement
// arrives. A participant that publishes nothing is announced by
// livekit-server up to 3 s after it joined, while its packets may arrive
// sooner. The wait ends with an error wrapping ctx's error when ctx ends
// first, and with the link's error (or one wrapping link.ErrClosed) when the
// link or the engine ends first.
func (e *Engine) WaitParticipant(ctx context.Context, identity string) (link.Participant, error) {
	for {
		// Watch before looking, so that an announcement in between is not missed.
		announced, release := e.roster.watch(identity)
		p, ok := e.link.Participant(identity)
		if ok {
			release()
			return p, nil
		}
		select {
		case <-announced:
			release() // and look again: it may have left already
		case <-ctx.Done():
			release()
			return link.Participant{}, fmt.Errorf("lkrpc engine: waiting for participant %q: %w", identity, ctx.Err())
		case <-e.done:
			release()
			return link.Participant{}, e.endedErr()
		}
	}
}

// endedErr is the error of what must stop because the engine or its link
// ended.
func (e *Engine) endedErr() error {
	if err := e.Err(); err != nil {
		return err
	}
	return fmt.Errorf("lkrpc engine: %w", link.ErrClosed)
}
