package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Engine speaks LiveKit participant RPC over one link. It is safe for
// concurrent use. Create it with New; end it with Close.
type Engine struct {
	link link.Link
	cfg  config
	log  *slog.Logger

	// life ends handlers, uploads and sends when the engine closes or the
	// link is lost.
	life    context.Context
	endLife context.CancelFunc

	pending        *pendingTable // outgoing calls
	handlers       *registry[transport.Handler]
	streamHandlers *registry[transport.StreamHandler]
	streamCalls    *streamCallTable // the streaming calls this engine makes
	serving        *servingTable    // the streaming calls it serves

	mu      sync.Mutex
	closed  bool                    // Close was called: no new goroutines
	callers map[string]*callerState // handlers running per caller identity, and idle ones (releaseCaller)
	idle    int                     // callers entries with no handler running
	workers int                     // serving goroutines started (startServe)
	jobs    chan serveJob           // unbuffered: to a worker waiting for one

	// recvMu serialises the receive side: the assembler is not safe for
	// concurrent use and streams maps its open request streams.
	recvMu  sync.Mutex
	asm     *datastream.Assembler
	streams map[streamKey]chan<- datastream.Event
	// downloads are the response streams whose calls watch their progress.
	downloads map[streamKey]*download

	// done is closed when the link reports Disconnected or the engine is
	// closed, whichever comes first; linkErr is what the link reported.
	done     chan struct{}
	doneOnce sync.Once
	linkErr  error

	roster roster // who the room has announced, for WaitParticipant

	wg        sync.WaitGroup // every goroutine the engine starts
	closeOnce sync.Once
}

// callerState tracks the handlers running for one caller so that they can be
// cancelled together when the caller leaves.
type callerState struct {
	ctx     context.Context
	cancel  context.CancelFunc
	running int
}

var _ transport.Streamer = (*Engine)(nil)

// New returns an engine speaking over l and attaches it to l. The engine
// does not own l: closing the engine leaves l open. An option given a value
// it cannot use is an error naming the option; l is then left unattached.
func New(l link.Link, opts ...Option) (*Engine, error) {
	if l == nil {
		return nil, errors.New("lkrpc engine: nil link")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	cfg.normalize()
	life, endLife := context.WithCancel(context.Background())
	e := &Engine{
		link:           l,
		cfg:            cfg,
		log:            cfg.logger,
		life:           life,
		endLife:        endLife,
		pending:        newPendingTable(cfg.logger),
		handlers:       newRegistry[transport.Handler](),
		streamHandlers: newRegistry[transport.StreamHandler](),
		streamCalls:    newStreamCallTable(),
		serving:        newServingTable(),
		callers:        make(map[string]*callerState),
		jobs:           make(chan serveJob),
		streams:        make(map[streamKey]chan<- datastream.Event),
		done:           make(chan struct{}),
	}
	e.roster.init()
	e.asm = datastream.NewAssembler(cfg.assemblerLimits(), acceptRPCStream)
	local := l.Local()
	e.log.Debug("lkrpc engine attached",
		"identity", local.Identity, "client_protocol", local.ClientProtocol, "capabilities", local.Capabilities)
	l.Attach((*receiver)(e))
	return e, nil
}

// Done is closed when the link reports that it is gone (Err says why) or
// the engine is closed.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Err is the error the link ended with: nil while it runs, after a clean
// close of the link, and after Close.
func (e *Engine) Err() error {
	select {
	case <-e.done:
	default:
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.linkErr
}

// end closes Done, recording the link's error when it is the first to end.
func (e *Engine) end(linkErr error) {
	e.doneOnce.Do(func() {
		e.mu.Lock()
		e.linkErr = linkErr
		e.mu.Unlock()
		close(e.done)
	})
}

// acceptRPCStream admits into the assembler the streams the engine reads
// whole: RPC v2's two topics, and a streaming call's request and control
// messages (its reply is read as it comes, outside the assembler). Other
// streams are someone else's business and are ignored with their chunks.
func acceptRPCStream(_ string, h *livekit.DataStream_Header) bool {
	switch h.GetTopic() {
	case TopicRequest, TopicResponse, TopicStreamRequest, TopicStreamControl:
		return true
	}
	return false
}

// Register serves method with h. It fails when method is empty, h is nil,
// or method is already registered. The returned func unregisters it and is
// harmless to call more than once.
func (e *Engine) Register(method string, h transport.Handler) (unregister func(), err error) {
	if h == nil {
		return nil, errors.New("lkrpc engine: register " + method + ": nil handler")
	}
	return e.handlers.add(method, h)
}

// RegisterStream serves the server-streaming method with h, as Register
// does a unary one (transport.Streamer).
func (e *Engine) RegisterStream(method string, h transport.StreamHandler) (unregister func(), err error) {
	if h == nil {
		return nil, errors.New("lkrpc engine: register " + method + ": nil handler")
	}
	return e.streamHandlers.add(method, h)
}

// Close fails every pending call with 1503 ("engine closed"), cancels
// running handlers and waits for every goroutine the engine started. It does
// not close the link. It must not be called from a handler. Calling it again
// is harmless.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		// Before anything else closes: the handlers streaming to us hear it
		// now rather than when the room reports our leave (seconds later).
		e.leaveStreamCalls(rpcerr.New(rpcerr.RecipientDisconnected, "engine closed"), leaveBound)
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		e.pending.detachAll(rpcerr.New(rpcerr.RecipientDisconnected, "engine closed"))
		e.end(nil)
		e.endLife()
		e.closeStreams()
		e.wg.Wait()
	})
	return nil
}

// goTracked runs fn in a goroutine that Close waits for. It returns false,
// without running fn, once the engine is closed.
func (e *Engine) goTracked(fn func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		fn()
	}()
	return true
}

// goServe runs fn for a request from caller, with a context cancelled when
// the caller leaves or the engine ends. overLimit tells fn that the caller
// already has MaxRequestsPerSender requests in flight. It returns false,
// without running fn, once the engine is closed.
func (e *Engine) goServe(caller string, fn func(ctx context.Context, overLimit bool)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	st := e.callers[caller]
	switch {
	case st == nil:
		ctx, cancel := context.WithCancel(e.life)
		st = &callerState{ctx: ctx, cancel: cancel}
		e.callers[caller] = st
	case st.running == 0:
		e.idle--
	}
	overLimit := st.running >= e.cfg.limits.MaxRequestsPerSender
	st.running++
	e.startServe(serveJob{caller: caller, st: st, overLimit: overLimit, fn: fn})
	return true
}

// maxIdleCallers bounds the callers whose state stays for their next
// request once none of theirs is running.
const maxIdleCallers = 256

// releaseCaller ends one of caller's requests. When it was the last, the
// caller's state (its context, which handlers' contexts hang off) stays
// for its next request instead of being made again for every sequential
// call, until the caller leaves (cancelCaller) or the engine ends; at most
// maxIdleCallers stay, another idle one giving way to it beyond that.
func (e *Engine) releaseCaller(caller string, st *callerState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st.running--
	if st.running > 0 {
		return
	}
	if e.callers[caller] != st {
		st.cancel() // the caller left meanwhile
		return
	}
	if e.idle >= maxIdleCallers {
		for other, o := range e.callers {
			if o.running == 0 && o != st {
				delete(e.callers, other)
				e.idle--
				o.cancel()
				break
			}
		}
	}
	e.idle++
}

// cancelCaller cancels every handler running for caller (it left the room).
func (e *Engine) cancelCaller(caller string) {
	e.mu.Lock()
	st := e.callers[caller]
	delete(e.callers, caller)
	if st != nil && st.running == 0 {
		e.idle--
	}
	e.mu.Unlock()
	if st != nil {
		st.cancel()
	}
}
