package runtime

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/runtime/discovery"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// advertiser is what Register needs from a transport to advertise the
// services of a registration in the discovery attribute. Only *Conn has it:
// other transports register methods and advertise nothing.
type advertiser interface {
	// advertise adds services to those advertised, or fails, changing
	// nothing, when the discovery attribute would grow over
	// discovery.MaxBytes. withdraw takes them back; it may be called once.
	advertise(services []string) (withdraw func(), err error)
}

// publishTimeout bounds one attribute update. A real room answers in
// milliseconds; the bound only keeps a lost answer from stalling later
// updates.
const publishTimeout = 10 * time.Second

// advertising keeps the set of services a Conn advertises and publishes it
// in the discovery attribute. Register has no ctx and must stay fast, so a
// change only wakes the publisher: one goroutine per Conn, started with the
// first advertisement, which publishes the latest wanted value (a burst of
// registrations becomes one update) and ends with Close. A failed update is
// logged (once per kind of failure) and never affects serving.
type advertising struct {
	setter link.AttributeSetter
	log    *slog.Logger

	mu      sync.Mutex
	counts  map[string]int // service → registrations advertising it
	started bool
	closed  bool
	warned  map[string]bool // failure kinds already logged

	wake   chan struct{}   // capacity 1: a change since the publisher last looked
	ctx    context.Context // ended by close, which also cancels an update in flight
	cancel context.CancelFunc
	done   chan struct{} // closed when the publisher has ended
}

func newAdvertising(setter link.AttributeSetter, log *slog.Logger) *advertising {
	ctx, cancel := context.WithCancel(context.Background())
	return &advertising{
		ctx:    ctx,
		cancel: cancel,
		setter: setter,
		log:    log,
		counts: map[string]int{},
		warned: map[string]bool{},
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// advertise implements advertiser; services are counted per registration,
// so a service stays advertised until its last registration withdraws it.
func (a *advertising) advertise(services []string) (func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := maps.Clone(a.counts)
	for _, s := range services {
		next[s]++
	}
	if _, err := discovery.Format(slices.Collect(maps.Keys(next))); err != nil {
		return nil, err
	}
	a.counts = next
	a.changedLocked()
	var once sync.Once
	return func() { once.Do(func() { a.withdraw(services) }) }, nil
}

func (a *advertising) withdraw(services []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range services {
		if a.counts[s]--; a.counts[s] <= 0 {
			delete(a.counts, s)
		}
	}
	a.changedLocked()
}

// changedLocked wakes the publisher, starting it the first time.
func (a *advertising) changedLocked() {
	if a.closed {
		return
	}
	if !a.started {
		a.started = true
		go a.publish()
	}
	select {
	case a.wake <- struct{}{}:
	default: // already woken: it will read the latest value
	}
}

// wanted is the attribute value for the services advertised now ("" for
// none, which deletes the attribute). advertise kept it within bounds.
func (a *advertising) wanted() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	value, _ := discovery.Format(slices.Collect(maps.Keys(a.counts)))
	return value
}

// publish is the publisher goroutine.
func (a *advertising) publish() {
	defer close(a.done)
	published := "" // nothing advertised when the Conn joined
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.wake:
		}
		value := a.wanted()
		if value == published {
			continue
		}
		uctx, ucancel := context.WithTimeout(a.ctx, publishTimeout)
		err := a.setter.SetAttributes(uctx, map[string]string{discovery.Attribute: value})
		ucancel()
		if err != nil {
			a.failed(err, value)
			continue // the next change tries again
		}
		published = value
	}
}

// failed logs a failed update at Warn, once per kind of failure: a token
// without the permission would otherwise warn at every registration.
func (a *advertising) failed(err error, value string) {
	kind := "other"
	switch {
	case a.ctx.Err() != nil || errors.Is(err, link.ErrClosed):
		return // leaving the room: nothing to advertise to
	case errors.Is(err, link.ErrAttributesRefused):
		kind = "refused"
	case errors.Is(err, context.DeadlineExceeded):
		kind = "timeout"
	}
	a.mu.Lock()
	seen := a.warned[kind]
	a.warned[kind] = true
	a.mu.Unlock()
	if !seen {
		a.log.Warn("lkrpc: could not advertise the services served in the discovery attribute; calls are still served",
			"attribute", discovery.Attribute, "value", value, "error", err)
	}
}

// close ends the publisher and waits for it; advertising ends with it.
func (a *advertising) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	started := a.started
	a.cancel()
	a.mu.Unlock()
	if started {
		<-a.done
	}
}
