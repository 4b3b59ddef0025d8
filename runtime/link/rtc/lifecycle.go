package rtc

import (
	"errors"
	"time"

	"github.com/livekit/protocol/livekit"
)

// The link's life: it ends exactly once (end), by Close, by a failure the
// signal connection reports, or by a failed peer connection; the teardown
// runs in the background because end is often called from the very
// goroutines the teardown waits for.

func (l *Link) isEnded() bool {
	select {
	case <-l.ended:
		return true
	default:
		return false
	}
}

// endReason is the error the link ended with, or fallback if it has not.
func (l *Link) endReason(fallback error) error {
	if l.isEnded() && l.endErr != nil {
		return l.endErr
	}
	return fallback
}

// end finishes the link once: Send fails from now on, the connections are
// closed in the background (end may run on the signal reader or a pion
// callback, which the closing waits for), and the receiver gets
// Disconnected(err) after what was already queued.
func (l *Link) end(err error) {
	l.endOnce.Do(func() {
		l.bgMu.Lock() // no background goroutine starts once ended is closed
		l.endErr = err
		close(l.ended)
		l.bgMu.Unlock()
		if err != nil && !errors.Is(err, ErrClosed) {
			l.log.Infow("participant link ended", "error", err)
		}
		// A rejoin installs its session under l.mu only while the link has
		// not ended: this one is the last.
		l.mu.Lock()
		s := l.cur
		l.notifyChangedLocked()
		l.mu.Unlock()
		if s != nil {
			s.shut(err)
		}
		go func() {
			if s != nil {
				s.close()
			}
			delivered := err
			if errors.Is(err, ErrClosed) {
				delivered = nil // a clean Close is reported as nil
			}
			l.in.close(delivered)
			close(l.torndown)
			<-l.in.done
			l.bg.Wait()
			close(l.finished)
		}()
	})
}

// transportGrace is how long a failed peer connection waits for the signal
// connection to explain it: when the server removes a participant it closes
// the data channel and sends the Leave at about the same time, and the
// Leave's reason is the better error.
const transportGrace = 500 * time.Millisecond

// transportFailed recovers s after its peer connection failed (an ICE
// restart, or a rejoin when the data channel itself is gone: fatal), unless
// the signal connection explains the failure first (see transportGrace).
func (l *Link) transportFailed(s *session, err error, fatal bool) {
	l.goBackground(func() {
		t := time.NewTimer(transportGrace)
		defer t.Stop()
		select {
		case <-t.C:
			if !fatal && s.pc.iceConnected() {
				// Reported late: pion tells of a failure 15 s after the
				// path went quiet, by when a resume (the server's Leave
				// with action RESUME comes at about the same time) may have
				// restarted ICE already.
				l.log.Debugw("transport failure reported, but ICE is connected again", "error", err)
				return
			}
			l.recover(s, fatal, err)
		case <-l.ended:
		case <-s.down:
		}
	})
}

// sessionFailed: something about s cannot be repaired in place (a
// description the peer connection refused): rejoin, or end.
func (l *Link) sessionFailed(s *session, err error) {
	if !l.hasJoined() {
		l.end(err) // Connect has not returned: it fails with err
		return
	}
	l.recover(s, true, err)
}

// goBackground runs fn on its own goroutine unless the link has ended; Done
// waits for it. It reports whether fn was started.
func (l *Link) goBackground(fn func()) bool {
	l.bgMu.Lock()
	defer l.bgMu.Unlock()
	if l.isEnded() {
		return false
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		fn()
	}()
	return true
}

func (l *Link) leaveAnswered() { l.leaveOnce.Do(func() { close(l.leaveDone) }) }

// Close leaves the room: it sends a LeaveRequest, waits (up to the leave
// timeout) for the server's own Leave in reply, then closes the connections
// and reports Disconnected(nil). Close after the link failed returns at
// once. It is safe to call more than once.
func (l *Link) Close() error {
	l.closeOnce.Do(func() {
		if l.isEnded() {
			return
		}
		l.leaving.Store(true)
		s := l.current()
		if s == nil || !s.ready.Load() {
			// Between sessions (a rejoin under way): nobody to tell.
			l.end(ErrClosed)
			return
		}
		leave := &livekit.LeaveRequest{
			Reason: livekit.DisconnectReason_CLIENT_INITIATED,
			Action: livekit.LeaveRequest_DISCONNECT,
		}
		if err := s.sendSignal(l.sig.SignalLeaveRequest(leave)); err != nil {
			l.log.Debugw("could not send leave", "error", err)
		} else {
			timer := time.NewTimer(l.cfg.leaveTimeout)
			select {
			case <-l.leaveDone:
			case <-l.ended:
			case <-timer.C:
				l.log.Infow("server did not answer the leave in time", "timeout", l.cfg.leaveTimeout)
			}
			timer.Stop()
		}
		l.end(ErrClosed)
	})
	<-l.torndown
	return nil
}

// Done is closed when the link has ended and the receiver has been told
// (or, never attached, will not be): no goroutine of the link remains.
func (l *Link) Done() <-chan struct{} { return l.finished }

// Err is why the link ended: nil while it runs, ErrClosed after Close.
func (l *Link) Err() error {
	if !l.isEnded() {
		return nil
	}
	return l.endErr
}
