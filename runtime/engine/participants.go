package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// maxLearned bounds the learned-protocol table. An entry normally goes when
// the room announces its participant (at most ~3 s after it joined) or when
// it leaves; one that leaves before it was announced produces no event, so
// without a bound such entries would pile up.
const maxLearned = 1024

// roster is what the engine learns about remote participants beyond the
// link's table: it wakes WaitParticipant when the room announces someone,
// and it remembers the client protocol a participant has proved by what it
// sent before the room announced it (the join window, PROTOCOL.md §7).
// The link's table stays the one source of what a participant advertises:
// once the room has announced a participant, its word wins.
type roster struct {
	mu      sync.Mutex
	watches map[string]*watch // identity → the waiters for its announcement
	learned map[string]int32  // identity → client protocol it has proved; not yet announced
	// introduced: participants this one has sent a request stream since
	// they joined, so they know it speaks RPC v2 whatever the room has told
	// them yet (see requestForm).
	introduced map[string]struct{}
}

// watch is closed (ch) when its identity is announced; n counts the waiters
// so that the entry goes away with the last one even if nobody is announced.
type watch struct {
	ch chan struct{}
	n  int
}

func (r *roster) init() {
	r.watches = make(map[string]*watch)
	r.learned = make(map[string]int32)
	r.introduced = make(map[string]struct{})
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

// announced wakes the waiters for identity and drops what was learned of it:
// from now on the room's word counts.
func (r *roster) announced(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.learned, identity)
	if w := r.watches[identity]; w != nil {
		delete(r.watches, identity)
		close(w.ch)
	}
}

// left forgets what was learned about identity: a participant that joins
// again under the same identity is a new session.
func (r *roster) left(identity string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.learned, identity)
	delete(r.introduced, identity)
}

// introduce records that identity has been sent a request stream and
// reports whether it had not been before.
func (r *roster) introduce(identity string) (first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.introduced[identity]; ok {
		return false
	}
	r.introduced[identity] = struct{}{}
	return true
}

// learn records that identity speaks at least protocol.
func (r *roster) learn(identity string, protocol int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if protocol <= r.learned[identity] {
		return
	}
	if _, ok := r.learned[identity]; !ok && len(r.learned) >= maxLearned {
		for old := range r.learned { // any one: all are a few seconds old at most
			delete(r.learned, old)
			break
		}
	}
	r.learned[identity] = protocol
}

// floor is the client protocol identity has proved (0 when nothing).
func (r *roster) floor(identity string) int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.learned[identity]
}

// peer is what the engine knows of a remote participant when it chooses a
// payload's form.
type peer struct {
	link.Participant
	// announced: the room has announced it, so Participant is the room's
	// word. Otherwise only Identity is known and ClientProtocol is the
	// protocol it has proved by sending an RPC v2 request (0 when none).
	announced bool
}

// peer returns what is known of identity now.
func (e *Engine) peer(identity string) peer {
	if p, ok := e.link.Participant(identity); ok {
		return peer{Participant: p, announced: true}
	}
	return peer{Participant: link.Participant{Identity: identity, ClientProtocol: e.roster.floor(identity)}}
}

// learnProtocol records that identity, which sent an RPC v2 request, speaks
// at least protocol, unless the room has already said what it speaks.
// It runs on the link's receive goroutine, in order with the announcement
// events, so an announcement either precedes it (and wins) or clears it.
func (e *Engine) learnProtocol(identity string, protocol int32) {
	if _, ok := e.link.Participant(identity); !ok {
		e.roster.learn(identity, protocol)
	}
}

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
