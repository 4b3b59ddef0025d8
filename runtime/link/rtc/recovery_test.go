package rtc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"go.uber.org/goleak"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// These run the link's recovery logic without a server: a Link as Connect
// builds it, with a real (never connected) peer connection, a session
// marked ready and a participant table filled by hand.

type events struct {
	ch           chan link.Event
	disconnected chan error
}

func (e events) ReceivePacket(*livekit.DataPacket) {}
func (e events) ParticipantChanged(ev link.Event)  { e.ch <- ev }
func (e events) Disconnected(err error)            { e.disconnected <- err }

func (e events) next(t *testing.T) link.Event {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(2 * time.Second):
		t.Fatal("no participant event")
	}
	panic("unreachable")
}

func offlineLink(t *testing.T, opts ...Option) (*Link, *session, events) {
	t.Helper()
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		t.Fatal(err)
	}
	l := &Link{
		cfg: cfg, log: cfg.log, url: "ws://127.0.0.1:1", dedup: newDedup(),
		changed: make(chan struct{}), ended: make(chan struct{}), torndown: make(chan struct{}),
		finished: make(chan struct{}), leaveDone: make(chan struct{}),
	}
	token := "token"
	l.token.Store(&token)
	l.in = newInbox(cfg.maxQueued)
	l.sig = newAdvertisingSignalling(signalling.NewSignallingJoinRequest(signalling.SignallingJoinRequestParams{Logger: cfg.sdkLog}),
		cfg.clientProtocol, cfg.advertised())
	s, err := l.newSession()
	if err != nil {
		t.Fatal(err)
	}
	s.ready.Store(true)
	l.cur, l.joined = s, true
	l.local = link.Participant{Identity: "me", SID: "PA_me"}
	l.participants = newParticipantTable("PA_me", "me")
	l.participants.apply([]*livekit.ParticipantInfo{info("bob", "PA_b", 1, active, 1), info("carol", "PA_c", 1, active, 1)})
	rec := events{ch: make(chan link.Event, 16), disconnected: make(chan error, 1)}
	l.Attach(rec)
	if ev := rec.next(t); ev.Kind != link.Joined || ev.Participant.Identity != "bob" {
		t.Fatalf("first event %+v, want bob Joined", ev)
	}
	rec.next(t) // carol
	return l, s, rec
}

// Dropping a session for a rejoin reports every remote participant Left
// (so the engine fails the calls in flight with 1503), makes Send fail with
// link.ErrClosed and ErrReconnecting, and ends nothing: Disconnected comes
// only with the link's end.
func TestDropSessionReportsEveryoneLeftAndSendsFailUntilTheRejoin(t *testing.T) {
	before := goleak.IgnoreCurrent()
	l, s, rec := offlineLink(t)
	l.dropSession(s, errors.New("test"))
	for _, who := range []string{"bob", "carol"} {
		if ev := rec.next(t); ev.Kind != link.Left || ev.Participant.Identity != who {
			t.Fatalf("event %+v, want %s Left", ev, who)
		}
	}
	if _, ok := l.Participant("bob"); ok {
		t.Fatal("bob still present during the rejoin")
	}
	err := l.Send(context.Background(), &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{}}})
	if !errors.Is(err, link.ErrClosed) || !errors.Is(err, ErrReconnecting) {
		t.Fatalf("Send during the rejoin = %v, want link.ErrClosed and ErrReconnecting", err)
	}
	// A send that was waiting on the dropped session fails the same way.
	if err := s.out.send(context.Background(), &livekit.DataPacket{}); !errors.Is(err, link.ErrClosed) || !errors.Is(err, ErrReconnecting) {
		t.Fatalf("send on the dropped session = %v, want link.ErrClosed and ErrReconnecting", err)
	}
	select {
	case err := <-rec.disconnected:
		t.Fatalf("Disconnected(%v) on a dropped session", err)
	default:
	}
	// What the dropped session's connections still say is ignored.
	l.recover(s, true, errors.New("stale"))
	l.onParticipantUpdate(s, []*livekit.ParticipantInfo{info("dave", "PA_d", 1, active, 2)})
	l.onPacket(s, []byte{}, false, true)
	if l.recovering || l.isEnded() {
		t.Fatalf("a stale session's failure started a recovery (%v) or ended the link (%v)", l.recovering, l.isEnded())
	}
	_ = l.Close()
	if err := <-rec.disconnected; err != nil {
		t.Fatalf("Disconnected(%v) after Close, want nil", err)
	}
	<-l.Done()
	leakcheck.Verify(t, 5*time.Second, before)
}

// With rejoining off, what would rejoin ends the link with its cause; a
// Leave with action DISCONNECT always does.
func TestRecoveryOffEndsTheLink(t *testing.T) {
	for name, tc := range map[string]struct {
		opts   []Option
		leave  livekit.LeaveRequest_Action
		resume bool // the trigger is a resumable one
	}{
		"reconnect leave, rejoin off": {opts: []Option{WithReconnect(0)}, leave: livekit.LeaveRequest_RECONNECT},
		"resume leave, both off":      {opts: []Option{WithReconnect(0), WithResumeTimeout(0)}, leave: livekit.LeaveRequest_RESUME},
		"disconnect leave":            {leave: livekit.LeaveRequest_DISCONNECT},
	} {
		t.Run(name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			l, s, rec := offlineLink(t, tc.opts...)
			(&signalConn{l: l, s: s}).OnLeave(&livekit.LeaveRequest{Action: tc.leave})
			if err := <-rec.disconnected; !errors.Is(err, ErrRemovedByServer) {
				t.Fatalf("Disconnected(%v), want ErrRemovedByServer", err)
			}
			<-l.Done()
			leakcheck.Verify(t, 5*time.Second, before)
		})
	}
}

// A session that fails while a rejoin sets it up fails that attempt at
// once (its down channel closes) instead of waiting out the attempt.
func TestFailureOfTheSessionBeingSetUpFailsTheAttempt(t *testing.T) {
	l, s, _ := offlineLink(t)
	defer l.Close()
	s.ready.Store(false)
	l.recovering = true
	l.recover(s, false, ErrSignalLost)
	if !s.isDown() || !errors.Is(s.downErr, ErrReconnecting) {
		t.Fatalf("session down %v (%v), want down with ErrReconnecting", s.isDown(), s.downErr)
	}
	l.recovering = false
}

func TestRejoinBackoffIsBounded(t *testing.T) {
	want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	for n, w := range want {
		if got := rejoinBackoff(n); got != w {
			t.Errorf("rejoinBackoff(%d) = %v, want %v", n, got, w)
		}
	}
	if got := rejoinBackoff(1000); got != maxRejoinBackoff {
		t.Errorf("rejoinBackoff(1000) = %v, want %v", got, maxRejoinBackoff)
	}
}

func TestStateStrings(t *testing.T) {
	for s, want := range map[State]string{StateReconnecting: "reconnecting", StateReconnected: "reconnected", StateGaveUp: "gave up", 0: "State(0)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

// SetAttributes that cannot reach the server because a recovery is under
// way waits for the link to be back (within its ctx) rather than failing:
// the discovery publisher would otherwise not send its value again.
func TestSetAttributesWaitsForARecovery(t *testing.T) {
	l, _, _ := offlineLink(t)
	defer l.Close()
	// No signal connection and no recovery: the failure is returned at once.
	if err := l.SetAttributes(context.Background(), map[string]string{"a": "1"}); !errors.Is(err, errSignalDown) {
		t.Fatalf("SetAttributes without a signal connection = %v, want errSignalDown", err)
	}
	l.mu.Lock()
	l.recovering = true
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.SetAttributes(ctx, map[string]string{"a": "1"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("SetAttributes during a recovery = %v after %v, want to wait until its deadline", err, time.Since(start))
	}
	l.mu.Lock()
	l.recovering = false
	l.mu.Unlock()
}
