package rtc

import (
	"errors"
	"sync"
	"sync/atomic"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"google.golang.org/protobuf/proto"
)

// A session is one participant session in the room: one peer connection
// (with its reliable data channel and the sender on it) and the signal
// connections that serve it. A resume keeps the session (same SID, same
// peer connection, a new signal connection); a rejoin (recovery.go) drops
// it and makes a new one under the same Link, so the engine above keeps
// its link.Link and its registrations.
//
// Callbacks of a session that is no longer the link's current one, and of
// a signal connection that is no longer its session's current one, are
// ignored: a reader goroutine of a closed WebSocket or a pion callback of a
// closed peer connection may still run for a moment.
type session struct {
	l   *Link
	pc  *peerConn
	out *sender

	opened   chan struct{} // the reliable channel opened
	openOnce sync.Once
	ready    atomic.Bool // joined and the channel open: Send goes through it

	down     chan struct{} // closed when the session is dropped (rejoin) or the link ends
	downOnce sync.Once
	downErr  error // written once, before down is closed

	mu     sync.Mutex
	signal *signalConn // the current signal connection
}

// newSession creates the peer connection of a new session; its signal
// connection comes with join.
func (l *Link) newSession() (*session, error) {
	s := &session{l: l, opened: make(chan struct{}), down: make(chan struct{})}
	var err error
	s.pc, err = newPeerConn(l.cfg.sdkLog, l.sig, peerCallbacks{
		sendSignal: s.sendSignal,
		onPacket:   func(data []byte, isString, reliable bool) { l.onPacket(s, data, isString, reliable) },
		onOpen:     func() { s.openOnce.Do(func() { close(s.opened) }) },
		onFailure:  func(err error, fatal bool) { l.transportFailed(s, err, fatal) },
		ignoreClose: func() bool {
			return l.leaving.Load() || l.isEnded() || s.isDown()
		},
	})
	if err != nil {
		return nil, err
	}
	s.out = newSender(s.pc.reliable, l.cfg.highWater, l.cfg.lowWater, s.down, func() error { return s.downErr })
	return s, nil
}

// newSignal makes a signal connection for s (not yet dialled) and makes it
// s's current one.
func (s *session) newSignal() *signalConn {
	l := s.l
	sc := &signalConn{l: l, s: s}
	sc.t = signalling.NewSignalTransportWebSocket(signalling.SignalTransportWebSocketParams{
		Logger:                 l.cfg.sdkLog,
		Version:                lksdk.Version,
		Protocol:               lksdk.PROTOCOL,
		Signalling:             l.sig,
		SignalTransportHandler: sc,
		SignalHandler: answeringHandler{
			SignalHandler: signalling.NewSignalHandler(signalling.SignalHandlerParams{
				Logger: l.cfg.sdkLog, Processor: sc,
			}),
			requests: &l.requests,
		},
	})
	s.mu.Lock()
	s.signal = sc
	s.mu.Unlock()
	return sc
}

func (s *session) currentSignal() *signalConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signal
}

// sendSignal sends msg on the session's current signal connection.
func (s *session) sendSignal(msg proto.Message) error {
	sc := s.currentSignal()
	if sc == nil {
		return errors.New("rtc: no signal connection")
	}
	return sc.t.SendMessage(msg)
}

func (s *session) isDown() bool {
	select {
	case <-s.down:
		return true
	default:
		return false
	}
}

// shut marks the session down with err: its sends fail with an error
// wrapping link.ErrClosed and err. Only the first call counts.
func (s *session) shut(err error) {
	s.downOnce.Do(func() {
		s.ready.Store(false)
		s.downErr = err
		close(s.down)
	})
}

// close closes the signal and peer connections. It waits for the signal
// reader, so it must not run on it.
func (s *session) close() {
	if sc := s.currentSignal(); sc != nil {
		sc.t.Close()
	}
	s.pc.close()
}

// current returns the link's session, nil while a rejoin is under way.
func (l *Link) current() *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// isCurrent reports whether s is the link's session and sc its signal
// connection (sc nil: any).
func (l *Link) isCurrent(s *session, sc *signalConn) bool {
	if l.current() != s || s.isDown() {
		return false
	}
	return sc == nil || s.currentSignal() == sc
}
