package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lkrpc/lkrpc/runtime/discovery"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/engine/frame"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// CallStream makes a server-streaming call (PROTOCOL.md §8.2); see
// transport.Streamer. It returns once the request is sent.
func (e *Engine) CallStream(ctx context.Context, c transport.StreamCall) (transport.ReplyStream, error) {
	if err := validateCall(transport.Call{Destination: c.Destination, Method: c.Method, Payload: c.Payload}); err != nil {
		return nil, err
	}
	if err := rpcerr.FromContext(ctx); err != nil {
		return nil, err
	}
	if err := e.checkServes(c.Destination, c.Service); err != nil {
		return nil, err
	}
	sc := e.newStreamCall(c)
	if err := e.streamCalls.add(sc); err != nil {
		return nil, err
	}
	sc.stopWatch = context.AfterFunc(ctx, func() { sc.fail(rpcerr.FromContext(ctx), tellHandler|dropUnread) })

	out := datastream.Outgoing{
		StreamID:  e.cfg.newID(),
		Topic:     TopicStreamRequest,
		Timestamp: e.cfg.now().UnixMilli(),
		Attributes: map[string]string{
			AttrStreamID:      sc.id,
			AttrStreamMethod:  c.Method,
			AttrStreamVersion: streamWireVersion,
			AttrStreamWindow:  strconv.Itoa(sc.window),
			AttrStreamFirstMs: strconv.FormatInt(sc.first.Milliseconds(), 10),
		},
		Destinations: []string{c.Destination},
		Text:         c.Payload,
	}
	sc.arm(e.cfg.ackTimeout, e.noStreamAck)
	sc.armWait(sc.first)
	if _, err := e.sendStream(sc.sendCtx, out, e.streamSendOptions(c.Destination)); err != nil && sc.sendCtx.Err() == nil {
		sc.fail(rpcerr.New(rpcerr.SendFailed, "failed to send request: "+err.Error()), 0)
	}
	return sc, nil
}

// checkServes fails at once a call to a participant that advertises the
// services it serves and not this one (§8.5).
func (e *Engine) checkServes(dest, service string) error {
	p, ok := e.link.Participant(dest)
	if !ok || service == "" {
		return nil
	}
	value, advertised := p.Attributes[discovery.Attribute]
	if !advertised || discovery.Serves(p.Attributes, service) {
		return nil
	}
	return rpcerr.BuiltinData(rpcerr.UnsupportedMethod,
		fmt.Sprintf("participant %s does not serve %s: it advertises %q", dest, service, value))
}

// leaveBound bounds how long Close spends telling handlers that its
// streaming calls end.
const leaveBound = 500 * time.Millisecond

// leaveStreamCalls ends every streaming call with reason and tells each
// running handler, within bound in all (the engine is closing; goroutines
// it would start for that are refused from now on).
func (e *Engine) leaveStreamCalls(reason *rpcerr.Error, bound time.Duration) {
	running := e.streamCalls.closeAll(reason)
	if len(running) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	for _, sc := range running {
		if _, err := e.sendStream(ctx, e.controlStream(sc.dest, sc.id, opCancel, 0), e.streamSendOptions(sc.dest)); err != nil {
			e.log.Debug("lkrpc: telling a handler that its streaming call ends failed", "to", sc.dest, "call_id", sc.id, "err", err)
		}
	}
}

// noStreamAck is how a streaming call ends when no reply stream opened
// within the ack timeout.
func (e *Engine) noStreamAck(sc *streamCall) error {
	if _, ok := e.link.Participant(sc.dest); !ok {
		return notFound(sc.dest, e.cfg.ackTimeout)
	}
	return rpcerr.BuiltinData(rpcerr.ConnectionTimeout, fmt.Sprintf(
		"no lkrpc stream handler acknowledged within %v: %s may be a LiveKit SDK peer without lkrpc", e.cfg.ackTimeout, sc.dest))
}

// streamCall is the caller's end of one streaming call: the engine's
// receive goroutine feeds it frames, the application's goroutine reads them
// (Recv). It implements transport.ReplyStream.
type streamCall struct {
	e                *Engine
	id, dest, method string
	window           int
	maxMessage       int
	maxTotal         int64
	first, idle      time.Duration
	sendCtx          context.Context    // the request's upload; ends with the call
	cancelSend       context.CancelFunc //
	stopWatch        func() bool        // stops the ctx watcher

	mu       sync.Mutex
	queue    []frame.Frame // messages not read yet
	end      error         // io.EOF or the failure; set once
	acked    bool          // the reply stream opened
	handled  bool          // the handler has ended the reply (no cancel needed)
	consumed int64         // frame bytes the reader has taken
	credited int64         // consumed as last sent in a credit
	received int64         // frame bytes received
	timer    *time.Timer   // the ack timer, until the reply opens
	wait     *time.Timer   // the first-message or idle timer
	wake     chan struct{} // Recv's doorbell (capacity 1)

	reader *frame.Reader // receive goroutine only
	next   uint64        // the next chunk index expected (receive goroutine only)
}

func (e *Engine) newStreamCall(c transport.StreamCall) *streamCall {
	sc := &streamCall{
		e: e, id: e.cfg.newID(), dest: c.Destination, method: c.Method,
		window: c.Window, maxMessage: c.MaxMessageBytes, maxTotal: c.MaxStreamBytes,
		first: c.FirstTimeout, idle: c.Idle,
		wake: make(chan struct{}, 1),
	}
	if sc.window <= 0 {
		sc.window = transport.DefaultStreamWindow
	}
	if sc.maxMessage <= 0 {
		sc.maxMessage = transport.DefaultStreamMessageMax
	}
	if sc.maxTotal <= 0 {
		sc.maxTotal = transport.DefaultStreamMax
	}
	if sc.first <= 0 {
		sc.first = e.cfg.defaultTimeout
	}
	if sc.idle == 0 {
		sc.idle = sc.first
	}
	sc.reader = frame.NewReader(frame.MessageSize(sc.maxMessage))
	sc.sendCtx, sc.cancelSend = context.WithCancel(e.life)
	return sc
}

// arm starts the ack timer.
func (sc *streamCall) arm(d time.Duration, onFire func(*streamCall) error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.end == nil {
		sc.timer = time.AfterFunc(d, func() { sc.fail(onFire(sc), tellHandler) })
	}
}

// armWait (re)starts the wait for the next frame: d, or none when d < 0.
// The wait runs only while the reader has nothing to read, so a reader that
// holds the handler back (§8.3) never times itself out.
func (sc *streamCall) armWait(d time.Duration) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.armWaitLocked(d)
}

func (sc *streamCall) armWaitLocked(d time.Duration) {
	if sc.wait != nil {
		sc.wait.Stop()
	}
	if sc.end == nil && d > 0 {
		sc.wait = time.AfterFunc(d, func() {
			sc.fail(rpcerr.BuiltinData(rpcerr.ResponseTimeout, fmt.Sprintf("no message within %v", d)), tellHandler)
		})
	}
}

// Recv implements transport.ReplyStream.
func (sc *streamCall) Recv() (string, error) {
	for {
		sc.mu.Lock()
		if len(sc.queue) > 0 {
			f := sc.queue[0]
			sc.queue[0] = frame.Frame{}
			sc.queue = sc.queue[1:]
			sc.consumed += int64(f.Size)
			if len(sc.queue) == 0 {
				sc.armWaitLocked(sc.idle)
			}
			credit := sc.end == nil && sc.consumed-sc.credited >= int64(sc.window/2)
			if credit {
				sc.credited = sc.consumed
			}
			consumed := sc.consumed
			sc.mu.Unlock()
			if credit {
				sc.e.sendControlStream(sc.dest, sc.id, opCredit, consumed)
			}
			return f.Payload, nil
		}
		if sc.end != nil {
			err := sc.end
			sc.mu.Unlock()
			return "", err
		}
		sc.mu.Unlock()
		<-sc.wake
	}
}

// Close implements transport.ReplyStream.
func (sc *streamCall) Close() error {
	sc.fail(rpcerr.New(rpcerr.ApplicationError, "stream closed by the caller"), tellHandler|dropUnread)
	return nil
}

// ending says what else a failure does.
type ending int

const (
	tellHandler ending = 1 << iota // send cancel (unless the handler ended the reply)
	dropUnread                     // the reader stopped: drop what it has not read
)

// fail ends the call with err unless it has ended. Messages that arrived
// before stay readable unless dropUnread; Recv returns err after them. It
// reports whether it ended a call whose handler had not ended its reply.
func (sc *streamCall) fail(err error, how ending) bool {
	sc.mu.Lock()
	if sc.end != nil {
		sc.mu.Unlock()
		return false
	}
	sc.end = err
	if how&dropUnread != 0 {
		sc.queue = nil
	}
	sc.stopTimersLocked()
	running := !sc.handled
	sc.mu.Unlock()
	sc.finish(how&tellHandler != 0 && running)
	return running
}

// stopTimersLocked stops the ack and wait timers once the call has ended.
func (sc *streamCall) stopTimersLocked() {
	for _, t := range []*time.Timer{sc.timer, sc.wait} {
		if t != nil {
			t.Stop()
		}
	}
}

// succeed ends the call as the handler's end frame says.
func (sc *streamCall) succeed(st frame.Status) {
	sc.mu.Lock()
	sc.handled = true
	if sc.end != nil {
		sc.mu.Unlock()
		return
	}
	if st.Code == 0 {
		sc.end = io.EOF
	} else {
		sc.end = &rpcerr.Error{Code: st.Code, Message: st.Message, Data: st.Data}
	}
	sc.stopTimersLocked()
	sc.mu.Unlock()
	sc.finish(false)
}

// finish releases the call once it has ended.
func (sc *streamCall) finish(tellHandler bool) {
	if sc.stopWatch != nil {
		sc.stopWatch()
	}
	sc.cancelSend()
	sc.e.streamCalls.remove(sc)
	if tellHandler {
		sc.e.sendControlStream(sc.dest, sc.id, opCancel, 0)
	}
	sc.ring()
}

func (sc *streamCall) ring() {
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

// opened records that the reply stream opened: the handler's ack.
func (sc *streamCall) opened() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.acked = true
	if sc.timer != nil {
		sc.timer.Stop()
	}
}

// ended reports whether the call has ended.
func (sc *streamCall) ended() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.end != nil
}

// malformedReply is how a call ends on a reply that breaks §8.1.
func malformedReply(why string) error {
	return rpcerr.BuiltinData(rpcerr.ApplicationError, "malformed reply: "+why)
}

// onContent takes a chunk of the reply (receive goroutine).
func (sc *streamCall) onContent(index uint64, content []byte) {
	if index != sc.next {
		sc.fail(malformedReply(fmt.Sprintf("chunk %d, expected %d", index, sc.next)), tellHandler)
		return
	}
	sc.next++
	frames, err := sc.reader.Write(content)
	for _, f := range frames {
		if !sc.onFrame(f) {
			return
		}
	}
	if err != nil {
		var tl *frame.TooLargeError
		if errors.As(err, &tl) {
			sc.fail(rpcerr.BuiltinData(rpcerr.ResponsePayloadTooLarge,
				fmt.Sprintf("a message of %s is over the limit of %d bytes", sc.method, sc.maxMessage)), tellHandler)
			return
		}
		sc.fail(malformedReply(err.Error()), tellHandler)
	}
}

// onFrame takes one frame; it reports whether the call goes on.
func (sc *streamCall) onFrame(f frame.Frame) bool {
	if f.Kind == frame.KindEnd {
		sc.succeed(f.Status)
		return false
	}
	if !utf8.ValidString(f.Payload) {
		sc.fail(malformedReply("a message is not valid UTF-8"), tellHandler)
		return false
	}
	sc.mu.Lock()
	if sc.end != nil {
		sc.mu.Unlock()
		return false
	}
	outstanding := sc.received - sc.consumed
	sc.received += int64(f.Size)
	var err error
	switch {
	case sc.received > sc.maxTotal:
		err = rpcerr.BuiltinData(rpcerr.ResponsePayloadTooLarge, fmt.Sprintf("the reply of %s is over the limit of %d bytes", sc.method, sc.maxTotal))
	case outstanding > 0 && outstanding+int64(f.Size) > int64(sc.window):
		err = rpcerr.BuiltinData(rpcerr.ApplicationError, fmt.Sprintf("the handler sent past its credit (window %d bytes)", sc.window))
	default:
		sc.queue = append(sc.queue, f)
	}
	if err == nil && sc.wait != nil {
		sc.wait.Stop() // the reader has something to read
	}
	sc.mu.Unlock()
	if err != nil {
		sc.fail(err, tellHandler)
		return false
	}
	sc.ring()
	return true
}

// onTrailer ends the reply stream (receive goroutine): a reply that ended
// without its end frame fails the call.
func (sc *streamCall) onTrailer(reason string) {
	why := "the reply ended without a status"
	if reason != "" {
		why = "the reply was aborted: " + reason
	}
	sc.fail(rpcerr.BuiltinData(rpcerr.ApplicationError, why), 0)
}
