package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/engine/frame"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// servingKey names a streaming call being served: call ids are the
// caller's, unique per caller.
type servingKey struct{ caller, id string }

// serving is one streaming call being served: its credit and how to stop it.
type serving struct {
	window int64
	credit chan struct{} // rung on each credit (capacity 1)

	mu        sync.Mutex
	consumed  int64              // the caller's last credit
	cancel    context.CancelFunc // set once the call's goroutine runs
	cancelled bool               // a cancel came, maybe before cancel was set
}

// setCancel gives the call its context's cancel, applying a cancel that
// came first.
func (s *serving) setCancel(cancel context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel = cancel
	if s.cancelled {
		cancel()
	}
}

// stop is the caller's cancel.
func (s *serving) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelled = true
	if s.cancel != nil {
		s.cancel()
	}
}

// servingTable holds the streaming calls being served.
type servingTable struct {
	mu        sync.Mutex
	calls     map[servingKey]*serving
	perCaller map[string]int
}

func newServingTable() *servingTable {
	return &servingTable{calls: make(map[servingKey]*serving), perCaller: make(map[string]int)}
}

// add enters a call; it fails when the caller already has
// MaxStreamsPerCaller running, or one under the same id.
func (t *servingTable) add(k servingKey, s *serving) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.calls[k] != nil:
		return fmt.Errorf("a streaming call with id %s is already running", k.id)
	case t.perCaller[k.caller] >= MaxStreamsPerCaller:
		return fmt.Errorf("too many streaming calls from caller (limit %d)", MaxStreamsPerCaller)
	}
	t.calls[k] = s
	t.perCaller[k.caller]++
	return nil
}

func (t *servingTable) remove(k servingKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.calls[k] == nil {
		return
	}
	delete(t.calls, k)
	if t.perCaller[k.caller]--; t.perCaller[k.caller] <= 0 {
		delete(t.perCaller, k.caller)
	}
}

func (t *servingTable) lookup(k servingKey) *serving {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[k]
}

// onStreamRequest serves a complete lkrpc.stream.request (receive goroutine).
func (e *Engine) onStreamRequest(ev datastream.Event) {
	if ev.Kind == datastream.Opened {
		return
	}
	attrs := ev.Header.GetAttributes()
	id := attrs[AttrStreamID]
	if id == "" {
		e.log.Debug("lkrpc: streaming request without a call id dropped", "caller", ev.Sender)
		return
	}
	// Entered here, on the receive goroutine, so that a cancel or credit
	// the caller sends right after its request always finds the call.
	k := servingKey{ev.Sender, id}
	s := &serving{window: parseWindow(attrs[AttrStreamWindow]), credit: make(chan struct{}, 1)}
	entered := e.serving.add(k, s)
	if !e.goServe(ev.Sender, func(ctx context.Context, overLimit bool) { e.serveStream(ctx, ev, s, entered, overLimit) }) && entered == nil {
		e.serving.remove(k)
	}
}

// serveStream answers one streaming request (§8.2): the reply's header
// first (the ack), then the checks, the handler and the end frame.
// entered is why the call could not be entered in the serving table.
func (e *Engine) serveStream(ctx context.Context, ev datastream.Event, s *serving, entered error, overLimit bool) {
	attrs := ev.Header.GetAttributes()
	caller, id := ev.Sender, attrs[AttrStreamID]
	if entered == nil {
		defer e.serving.remove(servingKey{caller, id})
	}
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.setCancel(cancel)
	w, err := datastream.NewWriter(datastream.Outgoing{
		StreamID:     e.cfg.newID(),
		Topic:        TopicStreamReply,
		Timestamp:    e.cfg.now().UnixMilli(),
		Attributes:   map[string]string{AttrStreamID: id},
		Destinations: []string{caller},
	})
	if err != nil {
		e.log.Debug("lkrpc: streaming request dropped", "caller", caller, "call_id", id, "err", err)
		return
	}
	out := &replyWriter{e: e, w: w}
	if err := out.send(ctx, w.Header()); err != nil {
		return
	}
	status := e.checkStream(ev, overLimit)
	switch {
	case status != nil:
	case entered != nil:
		status = rpcerr.BuiltinData(rpcerr.ApplicationError, entered.Error())
	default:
		status = e.runStream(hctx, ev, s, out)
	}
	if hctx.Err() != nil {
		// The caller cancelled or left, or the engine is closing: nobody
		// waits for a status.
		out.abort("cancelled")
		return
	}
	out.end(ctx, status)
}

// checkStream refuses what must not reach a handler; nil lets it run.
func (e *Engine) checkStream(ev datastream.Event, overLimit bool) *rpcerr.Error {
	attrs := ev.Header.GetAttributes()
	switch {
	case ev.Kind != datastream.Completed:
		return rpcerr.BuiltinData(rpcerr.ApplicationError, "Error reading RPC request payload: "+errText(ev.Err))
	case overLimit:
		return rpcerr.BuiltinData(rpcerr.ApplicationError,
			fmt.Sprintf("too many concurrent requests from caller (limit %d)", e.cfg.limits.MaxRequestsPerSender))
	case attrs[AttrStreamVersion] != streamWireVersion:
		return rpcerr.BuiltinData(rpcerr.UnsupportedVersion, "lkrpc stream version "+strconv.Quote(attrs[AttrStreamVersion]))
	case e.streamHandlers.lookup(attrs[AttrStreamMethod]) == nil:
		return rpcerr.Builtin(rpcerr.UnsupportedMethod)
	}
	return nil
}

// runStream runs the handler and returns the status the reply ends with.
func (e *Engine) runStream(ctx context.Context, ev datastream.Event, s *serving, out *replyWriter) *rpcerr.Error {
	attrs := ev.Header.GetAttributes()
	first, _ := strconv.ParseInt(attrs[AttrStreamFirstMs], 10, 64)
	req := &transport.Request{
		Caller:          ev.Sender,
		RequestID:       attrs[AttrStreamID],
		Method:          attrs[AttrStreamMethod],
		Payload:         ev.Text,
		ResponseTimeout: time.Duration(max(first, 0)) * time.Millisecond,
		Transfer:        streamTransfer(ev.Info),
	}
	e.describeCaller(req)
	h := e.streamHandlers.lookup(req.Method)
	var mu sync.Mutex // send may be called from the handler's goroutines, one at a time
	send := func(payload string) error {
		mu.Lock()
		defer mu.Unlock()
		return out.message(ctx, s, payload)
	}
	if err := transport.RunStream(ctx, h, req, send, e.log); err != nil {
		return wireError(err)
	}
	return nil
}

// onStreamControl applies a caller's credit or cancel (receive goroutine).
func (e *Engine) onStreamControl(ev datastream.Event) {
	if ev.Kind != datastream.Completed {
		return
	}
	attrs := ev.Header.GetAttributes()
	s := e.serving.lookup(servingKey{ev.Sender, attrs[AttrStreamID]})
	if s == nil {
		return // ended already
	}
	switch attrs[AttrStreamOp] {
	case opCancel:
		s.stop()
	case opCredit:
		n, err := strconv.ParseInt(attrs[AttrStreamConsumed], 10, 64)
		if err != nil {
			return
		}
		s.mu.Lock()
		if n > s.consumed {
			s.consumed = n
		}
		s.mu.Unlock()
		select {
		case s.credit <- struct{}{}:
		default:
		}
	}
}

// parseWindow reads lkrpc.window; a missing or bad value is the default.
func parseWindow(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return transport.DefaultStreamWindow
	}
	return n
}

// replyWriter writes one reply stream.
type replyWriter struct {
	e    *Engine
	w    *datastream.Writer
	sent int64 // frame bytes sent
}

func (r *replyWriter) send(ctx context.Context, pkts ...*livekit.DataPacket) error {
	for _, pkt := range pkts {
		if err := r.e.link.Send(ctx, pkt); err != nil {
			r.e.log.Debug("lkrpc: sending reply stream failed", "err", err)
			return err
		}
	}
	return nil
}

// errCallEnded is what send returns once the caller has gone; it wraps
// context.Canceled, as the handler's context then says.
var errCallEnded = fmt.Errorf("lkrpc: the streaming call has ended (the caller cancelled or left): %w", context.Canceled)

// message sends one message frame once the caller's credit allows (§8.3).
func (r *replyWriter) message(ctx context.Context, s *serving, payload string) error {
	text, err := frame.Message(payload)
	if err != nil {
		return err
	}
	size := int64(len(text))
	for {
		if ctx.Err() != nil {
			return errCallEnded
		}
		s.mu.Lock()
		outstanding := r.sent - s.consumed
		s.mu.Unlock()
		if outstanding == 0 || outstanding+size <= s.window {
			break
		}
		select {
		case <-s.credit:
		case <-ctx.Done():
			return errCallEnded
		}
	}
	r.sent += size
	if err := r.send(ctx, r.w.Chunks(text)...); err != nil {
		return fmt.Errorf("%w: %v", errCallEnded, err)
	}
	return nil
}

// end sends the end frame and the trailer.
func (r *replyWriter) end(ctx context.Context, status *rpcerr.Error) {
	st := frame.Status{}
	if status != nil {
		t := status.Truncated()
		st = frame.Status{Code: t.Code, Message: t.Message, Data: t.Data}
	}
	_ = r.send(ctx, append(r.w.Chunks(frame.End(st)), r.w.Trailer(""))...)
}

// abort ends the reply with a reason, in the background: the call's own
// context is over.
func (r *replyWriter) abort(reason string) {
	r.e.goTracked(func() {
		ctx, cancel := context.WithTimeout(r.e.life, r.e.cfg.ackTimeout)
		defer cancel()
		_ = r.send(ctx, r.w.Trailer(reason))
	})
}
