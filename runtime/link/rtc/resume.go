package rtc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
)

// Resuming after the signal connection alone dropped (the peer connection
// still up, the common case: a WebSocket reset by a proxy or a network
// blip). The link reconnects the WebSocket with reconnect=1 and its
// participant SID; the server keeps the session, and data never stopped
// flowing on the data channel meanwhile, so nothing needs replaying. Sends
// of signal messages in the gap (ICE candidates) are lost, which does not
// matter to an established connection.
//
// A failed peer connection (ICE) is not resumed: that needs an ICE restart
// of our peer connection, which PCTransport does not export, and a replay of
// what the server did not receive; the link ends with ErrTransportFailed.

// resumeAttemptTimeout bounds one reconnect attempt.
const resumeAttemptTimeout = 5 * time.Second

// resumeBackoff is the wait before each attempt: five attempts over about
// 3.4 s, fewer if the resume timeout ends first.
var resumeBackoff = []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, time.Second, 2 * time.Second}

// Resumes counts the times the link resumed a dropped signal connection.
func (l *Link) Resumes() int { return int(l.resumes.Load()) }

// signalLost runs when the signal reader ends without a leave.
func (l *Link) signalLost() {
	if l.cfg.resumeTimeout == 0 || !l.goBackground(l.resume) {
		l.end(ErrSignalLost) // a no-op if the link has already ended
	}
}

func (l *Link) resume() {
	start := time.Now()
	deadline := start.Add(l.cfg.resumeTimeout)
	lastErr := errors.New("no attempt fitted in the resume timeout")
	for _, wait := range resumeBackoff {
		if time.Now().Add(wait).After(deadline) {
			break
		}
		select {
		case <-time.After(wait):
		case <-l.ended:
			return
		}
		err := l.resumeOnce(min(resumeAttemptTimeout, time.Until(deadline)))
		if err == nil {
			l.resumes.Add(1)
			l.log.Infow("signal connection resumed", "after", time.Since(start))
			return
		}
		if l.isEnded() {
			return // the server refused with a Leave, which ended the link with its reason
		}
		lastErr = err
		l.log.Debugw("signal resume attempt failed", "error", err)
	}
	l.end(fmt.Errorf("%w: resume failed: %v", ErrSignalLost, lastErr))
}

func (l *Link) resumeOnce(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() { // a Close or failure meanwhile abandons the attempt
		select {
		case <-l.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	l.mu.Lock()
	sid := l.local.SID
	l.mu.Unlock()
	params := l.connectParams()
	err := l.runSignal(ctx, func() error {
		return l.transport.Reconnect(ctx, l.url, *l.token.Load(), params, sid)
	})
	if err != nil {
		return err
	}
	if l.isEnded() {
		// Closed while we reconnected: the teardown may have closed the
		// previous connection only; close this one too.
		l.transport.Close()
		return errors.New("rtc: link ended while resuming")
	}
	l.transport.Start()
	return nil
}

// onReconnectResponse leaves the peer connection's configuration alone. The
// ICE servers a ReconnectResponse hands out again would only matter to the
// next candidate gathering, that is an ICE restart, which the link does not
// do. Applying them anyway raced pion's server-reflexive gathering, which
// may still run when a resume comes soon after the join: pion/ice v4.2.7
// reads its server list unguarded while UpdateOptions rewrites it (seen by
// the race detector in TestE2EResumesAfterSignalDrop).
func (l *Link) onReconnectResponse(res *livekit.ReconnectResponse) error {
	l.log.Debugw("signal reconnect accepted", "iceServers", len(res.GetIceServers()))
	return nil
}

// runSignal runs a blocking signal-transport call under ctx. The SDK's Join
// and Reconnect honour ctx only while dialling; their wait for the server's
// first message has no deadline, so a server that accepts the WebSocket and
// says nothing would hang them. On ctx's end the connection is closed under
// the call, which ends that wait.
func (l *Link) runSignal(ctx context.Context, call func() error) error {
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
		l.transport.Close()
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
