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
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Link is one data-only participant in a real LiveKit room. It implements
// link.Link; create it with Connect.
type Link struct {
	cfg   config
	log   logger.Logger
	url   string                 // kept with the token for a future resume
	token atomic.Pointer[string] // the server may refresh it

	sig       *advertisingSignalling
	transport signalling.SignalTransport
	pc        *peerConn
	out       *sender
	in        *inbox
	dedup     *dedup
	requests  requests // signal requests waiting for the server's RequestResponse (attributes.go)

	mu           sync.Mutex
	local        link.Participant
	joined       bool
	participants *participantTable
	changed      chan struct{} // closed and replaced on each participant change

	opened   chan struct{} // the reliable channel opened
	openOnce sync.Once

	ended    chan struct{} // closed when the link ends, for whatever reason
	endOnce  sync.Once
	endErr   error         // written once, before ended is closed
	torndown chan struct{} // closed when the signal and peer connections are closed
	finished chan struct{} // closed when torn down and the receiver has been told

	resumes   atomic.Int32   // successful signal resumes (resume.go)
	bgMu      sync.Mutex     // orders goBackground with the end
	bg        sync.WaitGroup // background goroutines (resume, failure grace)
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
		opened:    make(chan struct{}),
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

	var err error
	l.pc, err = newPeerConn(cfg.sdkLog, l.sig, peerCallbacks{
		sendSignal:  l.sendSignal,
		onPacket:    l.onPacket,
		onOpen:      func() { l.openOnce.Do(func() { close(l.opened) }) },
		onFailure:   l.transportFailed,
		ignoreClose: func() bool { return l.leaving.Load() || l.isEnded() },
	})
	if err != nil {
		l.in.close(err)
		return nil, err
	}
	l.out = newSender(l.pc.reliable, cfg.highWater, cfg.lowWater, l.ended, func() error { return l.endErr })

	l.transport = signalling.NewSignalTransportWebSocket(signalling.SignalTransportWebSocketParams{
		Logger:                 cfg.sdkLog,
		Version:                lksdk.Version,
		Protocol:               lksdk.PROTOCOL,
		Signalling:             l.sig,
		SignalTransportHandler: (*signalProcessor)(l),
		SignalHandler: answeringHandler{
			SignalHandler: signalling.NewSignalHandler(signalling.SignalHandlerParams{
				Logger: cfg.sdkLog, Processor: (*signalProcessor)(l),
			}),
			requests: &l.requests,
		},
	})

	if err := l.join(ctx, l.connectParams()); err != nil {
		return nil, l.abort(err)
	}
	if !l.hasJoined() {
		// The first message was not a JoinResponse, or handling it failed.
		return nil, l.abort(l.endReason(errors.New("rtc: the server did not answer the join with a JoinResponse")))
	}

	select {
	case <-l.opened:
		return l, nil
	case <-l.ended:
		return nil, l.abort(l.endErr)
	case <-ctx.Done():
		return nil, l.abort(fmt.Errorf("rtc: waiting for the data channel to open: %w", ctx.Err()))
	}
}

// join sends the JoinRequest and handles the JoinResponse (onJoinResponse),
// explaining a refusal (see explainJoinFailure).
func (l *Link) join(ctx context.Context, params signalling.ConnectParams) error {
	token := *l.token.Load()
	err := l.runSignal(ctx, func() error {
		return l.transport.Join(ctx, l.url, token, params, nil, l.pc.offer)
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

func (l *Link) onJoinResponse(res *livekit.JoinResponse) error {
	if err := l.pc.configure(res); err != nil {
		l.end(err)
		return err
	}
	local := toParticipant(res.GetParticipant())
	// What we advertised, which is what peers see once the server copies it.
	local.ClientProtocol = l.cfg.clientProtocol
	local.Capabilities = slices.Clone(l.cfg.advertised())

	l.mu.Lock()
	l.local = local
	l.participants = newParticipantTable(local.SID, local.Identity)
	l.participants.apply(res.GetOtherParticipants()) // before Attach: no events
	l.joined = true
	l.notifyChangedLocked()
	l.mu.Unlock()

	// Our offer must be in place before the server's answer can be read:
	// nothing after the JoinResponse is read until Start. (Candidates that
	// trickle meanwhile go out on the already open WebSocket.)
	if err := l.pc.startICE(); err != nil {
		l.end(err)
		return err
	}
	l.transport.Start()
	return nil
}

func (l *Link) onParticipantUpdate(infos []*livekit.ParticipantInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.participants == nil {
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
// queue, return. It never waits for the receiver.
func (l *Link) onPacket(data []byte, isString, reliable bool) {
	pkt, err := decodePacket(data, isString)
	if err != nil {
		l.log.Debugw("dropping undecodable data packet", "error", err, "bytes", len(data))
		return
	}
	if reliable && l.dedup.seen(pkt) {
		return
	}
	if !l.in.pushPacket(pkt, len(data)) && !l.isEnded() {
		l.log.Warnw("receive queue full, dropping data packet", nil, "bytes", len(data), "limit", l.cfg.maxQueued)
	}
}

func (l *Link) sendSignal(msg proto.Message) error { return l.transport.SendMessage(msg) }

func (l *Link) setToken(token string) { l.token.Store(&token) }

func (l *Link) hasJoined() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.joined
}
