package engine

import (
	"errors"
	"sync"
)

// registry maps method names to handlers (H: transport.Handler, or
// transport.StreamHandler for streaming methods). Each Register call owns
// its entry: unregistering removes only that entry, never one registered
// after it.
type registry[H any] struct {
	mu       sync.Mutex
	handlers map[string]*registration[H]
}

// registration is one Register call.
type registration[H any] struct {
	handler H
}

func newRegistry[H any]() *registry[H] {
	return &registry[H]{handlers: make(map[string]*registration[H])}
}

// add serves method with h (not nil: the engine checks); see Engine.Register.
func (r *registry[H]) add(method string, h H) (unregister func(), err error) {
	if method == "" {
		return nil, errors.New("lkrpc engine: register: empty method name")
	}
	reg := &registration[H]{handler: h}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[method]; dup {
		return nil, errors.New("lkrpc engine: method " + method + " is already registered")
	}
	r.handlers[method] = reg
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.handlers[method] == reg {
			delete(r.handlers, method)
		}
	}, nil
}

// lookup returns the handler of method, or the zero H.
func (r *registry[H]) lookup(method string) H {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reg := r.handlers[method]; reg != nil {
		return reg.handler
	}
	var none H
	return none
}
