package engine

import (
	"errors"
	"sync"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// registry maps method names to handlers. Each Register call owns its entry:
// unregistering removes only that entry, never one registered after it.
type registry struct {
	mu       sync.Mutex
	handlers map[string]*registration
}

// registration is one Register call.
type registration struct {
	handler transport.Handler
}

func newRegistry() *registry {
	return &registry{handlers: make(map[string]*registration)}
}

// add serves method with h; see Engine.Register.
func (r *registry) add(method string, h transport.Handler) (unregister func(), err error) {
	if method == "" {
		return nil, errors.New("lkrpc engine: register: empty method name")
	}
	if h == nil {
		return nil, errors.New("lkrpc engine: register " + method + ": nil handler")
	}
	reg := &registration{handler: h}
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

// lookup returns the handler of method, or nil.
func (r *registry) lookup(method string) transport.Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reg := r.handlers[method]; reg != nil {
		return reg.handler
	}
	return nil
}
