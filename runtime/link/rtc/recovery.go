package rtc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Recovery: the link gets back into the room by itself, as LiveKit's own
// SDKs do, in two steps.
//
// Resume (same session, same SID): the signal connection is opened again
// with reconnect=1 and the participant's SID; the server keeps the session.
// When the peer connection has lost ICE (a failed transport, or the server
// said so with a Leave of action RESUME) the link then restarts ICE: a new
// offer with fresh ICE credentials on the resumed signal connection; DTLS,
// SCTP and the data channel carry on over the new candidate pair, and SCTP
// retransmits what was lost meanwhile, so calls in flight go on. Up to
// WithResumeTimeout.
//
// Rejoin (a new session): when resuming is refused or keeps failing (the
// server restarted and no longer knows the session: it answers with a
// Leave of action RECONNECT), when the server asks for it (a Leave of
// action RECONNECT), or when the data channel itself closed, the link drops
// the session and joins again: a new peer connection, the same token,
// identity, advertised client protocol, capabilities, metadata and join
// attributes, then the attributes SetAttributes had applied. The Link object
// stays the same, so the engine attached to it keeps its registrations and
// serves again once the rejoin is done. Up to WithReconnect, with a backoff.
//
// What the engine sees of a rejoin: at the drop, every remote participant
// is reported Left (packets in the gap are lost: the SFU drops what is sent
// to an identity not in the room, and what was sent on the dropped session's
// channel is gone with it), so each call in flight ends once with 1503 and
// each handler serving a remote caller is cancelled; Send fails with an
// error wrapping link.ErrClosed and ErrReconnecting until the rejoin is
// done (1503 for that call); after it, the participants present are
// reported Joined. Disconnected comes only when the link ends: Close, a
// Leave with action DISCONNECT, or recovery given up (ErrReconnectFailed).

// resumeAttemptTimeout bounds one resume attempt (signal, then ICE).
const resumeAttemptTimeout = 5 * time.Second

// resumeBackoff is the wait before each resume attempt: five attempts over
// about 3.4 s, fewer if the resume timeout ends first.
var resumeBackoff = []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, time.Second, 2 * time.Second}

// rejoinBackoff is the wait before rejoin attempt n (from 0): 0, 250 ms,
// 500 ms, 1 s, 2 s, then 4 s each, until WithReconnect's time is up.
func rejoinBackoff(n int) time.Duration {
	if n == 0 {
		return 0
	}
	d := 250 * time.Millisecond << min(n-1, 4)
	return min(d, maxRejoinBackoff)
}

const maxRejoinBackoff = 4 * time.Second

// Resumes counts the times the link resumed its session (a dropped signal
// connection, with an ICE restart when the transport had failed).
func (l *Link) Resumes() int { return int(l.resumes.Load()) }

// Rejoins counts the times the link joined the room again with a new
// session.
func (l *Link) Rejoins() int { return int(l.rejoins.Load()) }

// State is a step of the link's recovery (WithStateHandler).
type State int

const (
	// StateReconnecting: the link lost its session or its signal
	// connection and is getting back (Err says why).
	StateReconnecting State = iota + 1
	// StateReconnected: the link is back (Rejoin says how).
	StateReconnected
	// StateGaveUp: the link could not get back in time and has ended with
	// Err (Disconnected follows).
	StateGaveUp
)

func (s State) String() string {
	switch s {
	case StateReconnecting:
		return "reconnecting"
	case StateReconnected:
		return "reconnected"
	case StateGaveUp:
		return "gave up"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// StateChange is what WithStateHandler's function is told.
type StateChange struct {
	State State
	// Rejoin: a new session (new SID; remote participants were reported
	// Left, then Joined again). False for a resume (same SID and data
	// channel; nothing was reported).
	Rejoin bool
	// Attempts made so far (StateReconnected, StateGaveUp).
	Attempts int
	// Elapsed since StateReconnecting (StateReconnected, StateGaveUp).
	Elapsed time.Duration
	// Err: why the link is reconnecting, or the error it ended with.
	Err error
}

// signalLost runs when s's signal reader ends without a leave.
func (l *Link) signalLost(s *session) {
	l.recover(s, false, ErrSignalLost)
}

// recover starts getting s back (a resume, or a rejoin when rejoin is
// set), unless s is no longer the link's session. While a recovery runs, a
// rejoin request is passed on to it, and a failure of the session a rejoin
// is setting up fails that attempt. With recovery off the link ends with
// cause.
func (l *Link) recover(s *session, rejoin bool, cause error) {
	if l.leaving.Load() || l.isEnded() {
		return
	}
	l.mu.Lock()
	if l.cur != s {
		l.mu.Unlock()
		return
	}
	if l.recovering {
		if s.ready.Load() {
			l.wantRejoin = l.wantRejoin || rejoin
		} else {
			s.shut(fmt.Errorf("%w (%v)", ErrReconnecting, cause)) // fails the rejoin attempt under way
		}
		l.mu.Unlock()
		return
	}
	if (rejoin || l.cfg.resumeTimeout == 0) && l.cfg.reconnectTimeout == 0 {
		l.mu.Unlock()
		l.end(cause)
		return
	}
	l.recovering, l.wantRejoin = true, rejoin
	l.mu.Unlock()
	if !l.goBackground(func() { l.recoverLoop(s, cause) }) {
		l.mu.Lock()
		l.recovering = false
		l.mu.Unlock()
	}
}

// rejoinWanted reports whether a rejoin was asked for.
func (l *Link) rejoinWanted() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wantRejoin
}

func (l *Link) recoverLoop(s *session, cause error) {
	start := time.Now()
	l.log.Infow("participant link reconnecting", "cause", cause)
	l.emit(StateChange{State: StateReconnecting, Err: cause})
	attempts := 0

	if !l.rejoinWanted() && l.cfg.resumeTimeout > 0 {
		n, err := l.resume(s, start.Add(l.cfg.resumeTimeout))
		attempts += n
		if l.isEnded() {
			return
		}
		if err == nil {
			if l.finishRecovery() {
				l.resumes.Add(1)
				l.log.Infow("participant link resumed its session", "after", time.Since(start), "attempts", attempts)
				l.emit(StateChange{State: StateReconnected, Attempts: attempts, Elapsed: time.Since(start)})
				return
			}
			err = errRejoinWanted
		}
		cause = err
		if l.cfg.reconnectTimeout == 0 {
			l.end(cause)
			return
		}
	}

	for {
		n, err := l.rejoin(s, cause)
		attempts += n
		if l.isEnded() {
			return
		}
		if err != nil {
			err = fmt.Errorf("%w after %d attempts in %v: %w", ErrReconnectFailed, attempts,
				time.Since(start).Round(time.Millisecond), err)
			l.log.Infow("participant link gave up reconnecting", "error", err)
			l.emit(StateChange{State: StateGaveUp, Rejoin: true, Attempts: attempts, Elapsed: time.Since(start), Err: err})
			l.end(err)
			return
		}
		l.rejoins.Add(1)
		if l.finishRecovery() {
			break
		}
		// The new session was asked to rejoin in the instant it came up.
		s, cause = l.current(), errRejoinWanted
	}
	l.log.Infow("participant link rejoined the room", "after", time.Since(start), "attempts", attempts, "sid", l.Local().SID)
	l.emit(StateChange{State: StateReconnected, Rejoin: true, Attempts: attempts, Elapsed: time.Since(start)})
}

// finishRecovery ends the recovery unless a rejoin was asked for meanwhile
// (then it reports false and the caller rejoins).
func (l *Link) finishRecovery() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wantRejoin {
		return false
	}
	l.recovering = false
	l.notifyChangedLocked() // wakes a SetAttributes waiting for the recovery
	return true
}

func (l *Link) emit(ev StateChange) {
	if l.cfg.onState != nil {
		l.cfg.onState(ev)
	}
}

// sleep waits d unless the link ends first (false).
func (l *Link) sleep(d time.Duration) bool {
	if d <= 0 {
		return !l.isEnded()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.ended:
		return false
	}
}

// attemptContext is a context for one attempt, cancelled when the link ends.
func (l *Link) attemptContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	go func() {
		select {
		case <-l.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

var errRejoinWanted = errors.New("rtc: the server asked for a new session")

// resume tries to resume s until deadline; it returns the attempts made.
func (l *Link) resume(s *session, deadline time.Time) (int, error) {
	lastErr := errors.New("no attempt fitted in the resume timeout")
	n := 0
	for _, wait := range resumeBackoff {
		if l.rejoinWanted() {
			return n, errRejoinWanted
		}
		if time.Now().Add(wait).After(deadline) {
			break
		}
		if !l.sleep(wait) {
			return n, l.endErr
		}
		n++
		err := l.resumeOnce(s, min(resumeAttemptTimeout, time.Until(deadline)))
		if err == nil {
			return n, nil
		}
		if l.isEnded() {
			return n, l.endErr
		}
		lastErr = err
		l.log.Debugw("resume attempt failed", "error", err)
	}
	if l.rejoinWanted() {
		return n, errRejoinWanted
	}
	return n, fmt.Errorf("%w: resume failed: %v", ErrSignalLost, lastErr)
}

func (l *Link) resumeOnce(s *session, timeout time.Duration) error {
	ctx, cancel := l.attemptContext(timeout)
	defer cancel()
	if old := s.currentSignal(); old != nil {
		old.t.Close() // still open after a failed transport: the resume needs a new one
	}
	l.mu.Lock()
	sid := l.local.SID
	l.mu.Unlock()
	sc := s.newSignal()
	params := l.connectParams()
	err := runSignal(ctx, sc.t, func() error {
		return sc.t.Reconnect(ctx, l.url, *l.token.Load(), params, sid)
	})
	if err != nil {
		return err
	}
	if l.isEnded() || l.rejoinWanted() {
		// Closed (or told to rejoin) while we reconnected: the teardown may
		// have closed the previous connection only; close this one too.
		sc.t.Close()
		return errors.New("rtc: resume abandoned")
	}
	sc.t.Start()
	if s.pc.iceConnected() {
		return nil // the common case: only the WebSocket had dropped
	}
	if err := s.pc.restartICE(); err != nil {
		return err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !s.pc.iceConnected() {
		select {
		case <-tick.C:
		case <-s.down:
			return errors.New("rtc: session dropped during the ICE restart")
		case <-ctx.Done():
			return fmt.Errorf("%w: ICE restart: not connected: %w", ErrTransportFailed, ctx.Err())
		}
		if l.rejoinWanted() {
			return errRejoinWanted
		}
	}
	l.log.Debugw("ICE restarted")
	return nil
}

// rejoin drops s and joins again until WithReconnect's time is up; it
// returns the attempts made.
func (l *Link) rejoin(s *session, cause error) (int, error) {
	deadline := time.Now().Add(l.cfg.reconnectTimeout)
	l.dropSession(s, cause)
	lastErr := cause
	for n := 0; ; n++ {
		wait := rejoinBackoff(n)
		if n > 0 && time.Now().Add(wait).After(deadline) {
			return n, lastErr
		}
		if !l.sleep(wait) {
			return n, l.endErr
		}
		err := l.rejoinOnce(min(l.cfg.connectTimeout, time.Until(deadline)))
		if err == nil {
			return n + 1, nil
		}
		if l.isEnded() {
			return n + 1, l.endErr
		}
		lastErr = err
		l.log.Debugw("rejoin attempt failed", "error", err, "attempt", n+1)
		var refused *JoinError
		if errors.As(err, &refused) && refused.StatusCode >= 400 && refused.StatusCode < 500 {
			return n + 1, err // the token is refused: trying again will not help
		}
	}
}

// dropSession ends s for a rejoin: every remote participant is reported
// Left, the table is cleared until the new JoinResponse, and s is closed.
func (l *Link) dropSession(s *session, cause error) {
	l.mu.Lock()
	var left []link.Event
	if l.participants != nil {
		for _, p := range l.participants.all() {
			left = append(left, link.Event{Kind: link.Left, Participant: p})
			l.dedup.forget(p.SID)
		}
	}
	l.participants = nil
	if l.cur == s {
		l.cur = nil
	}
	l.wantRejoin = false
	l.in.pushEvents(left)
	l.notifyChangedLocked()
	l.mu.Unlock()
	s.shut(fmt.Errorf("%w (%v)", ErrReconnecting, cause))
	s.close()
	l.log.Infow("participant link dropped its session to rejoin", "cause", cause, "participantsLeft", len(left))
}

// rejoinOnce makes a new session and joins with it.
func (l *Link) rejoinOnce(timeout time.Duration) error {
	ctx, cancel := l.attemptContext(timeout)
	defer cancel()
	s, err := l.newSession()
	if err != nil {
		return err
	}
	l.mu.Lock()
	if l.isEnded() {
		l.mu.Unlock()
		s.pc.close()
		return l.endErr
	}
	l.cur = s
	l.mu.Unlock()

	fail := func(err error) error {
		l.mu.Lock()
		if l.cur == s {
			l.cur = nil
		}
		var left []link.Event
		if l.participants != nil { // the JoinResponse came: undo its Joined events
			for _, p := range l.participants.all() {
				left = append(left, link.Event{Kind: link.Left, Participant: p})
			}
			l.participants = nil
			l.in.pushEvents(left)
		}
		l.wantRejoin = false
		l.mu.Unlock()
		s.shut(fmt.Errorf("%w (%v)", ErrReconnecting, err))
		s.close()
		return err
	}

	if err := l.join(ctx, s); err != nil {
		return fail(err)
	}
	select {
	case <-s.opened:
	case <-s.down:
		return fail(errors.New("rtc: the new session failed before its data channel opened"))
	case <-ctx.Done():
		return fail(fmt.Errorf("rtc: rejoin: waiting for the data channel to open: %w", ctx.Err()))
	}
	if l.rejoinWanted() {
		return fail(errRejoinWanted)
	}
	l.reapplyAttributes(ctx, s)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != s || s.isDown() {
		return errors.New("rtc: the new session was dropped")
	}
	s.ready.Store(true)
	l.notifyChangedLocked()
	return nil
}

// reapplyAttributes sets again, on a new session, the attributes that
// SetAttributes had applied: the server starts the new participant from
// the token's and the join's attributes. A refusal or a timeout is logged:
// the session is up, and serving matters more than advertising.
func (l *Link) reapplyAttributes(ctx context.Context, s *session) {
	l.mu.Lock()
	attrs := maps.Clone(l.setAttrs)
	l.mu.Unlock()
	if len(attrs) == 0 {
		return
	}
	if err := l.updateAttributes(ctx, s, attrs); err != nil {
		l.log.Warnw("could not set the participant's attributes again after rejoining", err, "keys", len(attrs))
		return
	}
	l.mergeLocalAttributes(attrs)
}

// onReconnectResponse leaves the peer connection's configuration alone. The
// ICE servers a ReconnectResponse hands out again would only matter to the
// next candidate gathering, that is an ICE restart, which the link does only
// after its transport failed, and there is no TURN on the servers it was
// tested with. Applying them anyway raced pion's server-reflexive gathering,
// which may still run when a resume comes soon after the join: pion/ice
// v4.2.7 reads its server list unguarded while UpdateOptions rewrites it
// (seen by the race detector in TestE2EResumesAfterSignalDrop).
func (l *Link) onReconnectResponse(res *livekit.ReconnectResponse) error {
	l.log.Debugw("signal reconnect accepted", "iceServers", len(res.GetIceServers()))
	return nil
}

// runSignal runs a blocking signal-transport call under ctx. The SDK's Join
// and Reconnect honour ctx only while dialling; their wait for the server's
// first message has no deadline, so a server that accepts the WebSocket and
// says nothing would hang them. On ctx's end the connection is closed under
// the call, which ends that wait.
func runSignal(ctx context.Context, t signalling.SignalTransport, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// The connection may be stored an instant after the dial returns; keep
	// closing until the call gives up.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		t.Close()
		select {
		case err := <-done:
			return errors.Join(ctx.Err(), err)
		case <-tick.C:
		}
	}
}

func (l *Link) connectParams() signalling.ConnectParams {
	return signalling.ConnectParams{
		AutoSubscribe: false, // data only
		Metadata:      l.cfg.metadata,
		Attributes:    l.cfg.attributes,
		Logger:        l.cfg.sdkLog,
	}
}
