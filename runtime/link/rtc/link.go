package rtc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	"github.com/livekit/server-sdk-go/v2/signalling"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Link is one data-only participant in a real LiveKit room. It implements
// link.Link; create it with Connect. It stays the same object across
// resumes and rejoins (recovery.go), so whatever is attached to it keeps
// working.
type Link struct {
	cfg   config
	log   logger.Logger
	url   string                 // kept with the token for resumes and rejoins
	token atomic.Pointer[string] // the server may refresh it

	sig      *advertisingSignalling
	in       *inbox
	dedup    *dedup
	requests requests // signal requests waiting for the server's RequestResponse (attributes.go)

	mu           sync.Mutex
	cur          *session // nil while a rejoin is under way
	local        link.Participant
	joined       bool
	participants *participantTable // nil while a rejoin is under way
	changed      chan struct{}     // closed and replaced on each participant or session change
	setAttrs     map[string]string // what SetAttributes applied ("" deletes), re-applied after a rejoin
	recovering   bool              // a recovery goroutine runs (recovery.go)
	wantRejoin   bool              // it must rejoin rather than resume

	ended    chan struct{} // closed when the link ends, for whatever reason
	endOnce  sync.Once
	endErr   error         // written once, before ended is closed
	torndown chan struct{} // closed when the signal and peer connections are closed
	finished chan struct{} // closed when torn down and the receiver has been told

	resumes   atomic.Int32   // successful resumes (recovery.go)
	rejoins   atomic.Int32   // successful rejoins (recovery.go)
	bgMu      sync.Mutex     // orders goBackground with the end
	bg        sync.WaitGroup // background goroutines (recovery, failure grace)
	leaving   atomic.Bool
	leaveDone chan struct{} // the server answered our LeaveRequest (or hung up)
	leaveOnce sync.Once
	closeOnce sync.Once
}

var _ link.Link = (*Link)(nil)

// Connect joins the room the token grants as a data-only participant and
// returns once the reliable data channel is open, or fails within the
// connect timeout (WithConnectTimeout) or ctx, whichever ends first. url is
// the server's address (ws(s):// or http(s)://). A refused token gives a
// *JoinError carrying the server's reason.
func Connect(ctx context.Context, url, token string, opts ...Option) (*Link, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	if url == "" || token == "" {
		return nil, errors.New("rtc: Connect needs a server URL and a token")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout)
	defer cancel()

	l := &Link{
		cfg:       cfg,
		log:       cfg.log,
		url:       url,
		dedup:     newDedup(),
		changed:   make(chan struct{}),
		ended:     make(chan struct{}),
		torndown:  make(chan struct{}),
		finished:  make(chan struct{}),
		leaveDone: make(chan struct{}),
	}
	l.token.Store(&token)
	l.in = newInbox(cfg.maxQueued)
	l.sig = newAdvertisingSignalling(
		signalling.NewSignallingJoinRequest(signalling.SignallingJoinRequestParams{Logger: cfg.sdkLog}),
		cfg.clientProtocol, cfg.advertised())

	s, err := l.newSession()
	if err != nil {
		l.in.close(err)
		return nil, err
	}
	l.cur = s

	if err := l.join(ctx, s); err != nil {
		return nil, l.abort(err)
	}
	if !l.hasJoined() {
		// The first message was not a JoinResponse, or handling it failed.
		return nil, l.abort(l.endReason(errors.New("rtc: the server did not answer the join with a JoinResponse")))
	}

	select {
	case <-s.opened:
		s.ready.Store(true)
		return l, nil
	case <-l.ended:
		return nil, l.abort(l.endErr)
	case <-ctx.Done():
		return nil, l.abort(fmt.Errorf("rtc: waiting for the data channel to open: %w", ctx.Err()))
	}
}

// join opens a signal connection for s, sends the JoinRequest and handles
// the JoinResponse (onJoinResponse), explaining a refusal (see
// explainJoinFailure).
func (l *Link) join(ctx context.Context, s *session) error {
	token := *l.token.Load()
	params := l.connectParams()
	sc := s.newSignal()
	err := runSignal(ctx, sc.t, func() error {
		return sc.t.Join(ctx, l.url, token, params, nil, s.pc.offer)
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("rtc: no JoinResponse from %s: %w", l.url, ctx.Err())
	default:
		return explainJoinFailure(ctx, l.sig, l.url, token, &params, err)
	}
}

// abort ends a link that never got to its caller and waits for teardown.
func (l *Link) abort(err error) error {
	l.end(err)
	<-l.torndown
	return err
}

// onJoinResponse sets up the session a JoinResponse answers: the first
// join, or a rejoin (then the participants present are reported Joined:
// the rejoin reported every earlier one Left).
func (l *Link) onJoinResponse(sc *signalConn, res *livekit.JoinResponse) error {
	s := sc.s
	if err := s.pc.configure(res); err != nil {
		l.sessionFailed(s, err)
		return err
	}
	local := toParticipant(res.GetParticipant())
	// What we advertised, which is what peers see once the server copies it.
	local.ClientProtocol = l.cfg.clientProtocol
	local.Capabilities = slices.Clone(l.cfg.advertised())

	l.mu.Lock()
	l.local = local
	l.participants = newParticipantTable(local.SID, local.Identity)
	// Before Attach the inbox drops events (Attach reports who is present).
	l.in.pushEvents(l.participants.apply(res.GetOtherParticipants()))
	l.joined = true
	l.notifyChangedLocked()
	l.mu.Unlock()

	// Our offer must be in place before the server's answer can be read:
	// nothing after the JoinResponse is read until Start. (Candidates that
	// trickle meanwhile go out on the already open WebSocket.)
	if err := s.pc.startICE(); err != nil {
		l.sessionFailed(s, err)
		return err
	}
	sc.t.Start()
	return nil
}

func (l *Link) onParticipantUpdate(s *session, infos []*livekit.ParticipantInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.participants == nil || l.cur != s {
		return
	}
	events := l.participants.apply(infos)
	for _, ev := range events {
		if ev.Kind == link.Left {
			l.dedup.forget(ev.Participant.SID)
		}
	}
	l.in.pushEvents(events)
	if len(events) > 0 {
		l.notifyChangedLocked()
	}
}

func (l *Link) notifyChangedLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// onPacket runs on pion's data channel goroutine: decode, drop replays,
// queue, return. It never waits for the receiver. Packets of a dropped
// session are not delivered: the rejoin has reported their senders Left.
func (l *Link) onPacket(s *session, data []byte, isString, reliable bool) {
	pkt, err := decodePacket(data, isString)
	if err != nil {
		l.log.Debugw("dropping undecodable data packet", "error", err, "bytes", len(data))
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != s {
		return
	}
	if reliable && l.dedup.seen(pkt) {
		return
	}
	if !l.in.pushPacket(pkt, len(data)) && !l.isEnded() {
		l.log.Warnw("receive queue full, dropping data packet", nil, "bytes", len(data), "limit", l.cfg.maxQueued)
	}
}

func (l *Link) setToken(token string) { l.token.Store(&token) }

func (l *Link) hasJoined() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.joined
}
