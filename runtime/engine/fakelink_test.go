package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/internal/leakcheck"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// fakeLink is a link for engine tests. Packets it sends are recorded and
// either delivered to a wired peer link (as the SFU would: sender identity
// set, in order, from one delivery goroutine) or, with no peer, pushed to
// the sent channel for the test to inspect. A test injects packets and
// participant events through deliver and event, which go through the same
// single delivery goroutine as the real links use.
type fakeLink struct {
	local link.Participant

	mu       sync.Mutex
	peers    map[string]link.Participant
	recv     link.Receiver
	peer     *fakeLink
	sendHook func(ctx context.Context, pkt *livekit.DataPacket) error // may block or fail
	closed   bool

	qmu     sync.Mutex // guards inbox closing; never held by the delivery goroutine
	qclosed bool

	sent  chan *livekit.DataPacket // unwired links only
	inbox chan func()
	done  chan struct{}
}

var errLinkClosed = errors.New("fake link closed")

func newFakeLink(t testing.TB, identity string, protocol int32, caps ...livekit.ClientInfo_Capability) *fakeLink {
	t.Helper()
	l := &fakeLink{
		local: link.Participant{Identity: identity, ClientProtocol: protocol, Capabilities: caps},
		peers: make(map[string]link.Participant),
		sent:  make(chan *livekit.DataPacket, 4096),
		inbox: make(chan func(), 4096),
		done:  make(chan struct{}),
	}
	go l.deliverLoop()
	t.Cleanup(l.stop)
	return l
}

func (l *fakeLink) deliverLoop() {
	defer close(l.done)
	for fn := range l.inbox {
		fn()
	}
}

// stop ends the delivery goroutine after what is queued has been delivered.
func (l *fakeLink) stop() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.qmu.Lock()
	if !l.qclosed {
		l.qclosed = true
		close(l.inbox)
	}
	l.qmu.Unlock()
	<-l.done
}

// enqueue runs fn on the delivery goroutine.
func (l *fakeLink) enqueue(fn func()) {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	if !l.qclosed {
		l.inbox <- fn
	}
}

func (l *fakeLink) Local() link.Participant { return l.local }

func (l *fakeLink) Participant(identity string) (link.Participant, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.peers[identity]
	return p, ok
}

func (l *fakeLink) Attach(r link.Receiver) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recv = r
}

func (l *fakeLink) receiver() link.Receiver {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recv
}

func (l *fakeLink) Send(ctx context.Context, pkt *livekit.DataPacket) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	hook, peer, closed := l.sendHook, l.peer, l.closed
	l.mu.Unlock()
	if closed {
		return errLinkClosed
	}
	if hook != nil {
		if err := hook(ctx, pkt); err != nil {
			return err
		}
	}
	// The SFU sets the sender; a copy keeps the engine's packet its own.
	cp := proto.Clone(pkt).(*livekit.DataPacket)
	cp.ParticipantIdentity = l.local.Identity
	if peer == nil {
		l.sent <- cp
		return nil
	}
	peer.deliver(cp)
	return nil
}

func (l *fakeLink) Close() error { return nil }

func (l *fakeLink) setHook(h func(ctx context.Context, pkt *livekit.DataPacket) error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sendHook = h
}

// deliver hands pkt to the attached receiver from the delivery goroutine.
func (l *fakeLink) deliver(pkt *livekit.DataPacket) {
	l.enqueue(func() { l.receiver().ReceivePacket(pkt) })
}

// join adds a remote participant and reports it.
func (l *fakeLink) join(p link.Participant) {
	l.mu.Lock()
	l.peers[p.Identity] = p
	l.mu.Unlock()
	l.enqueue(func() { l.receiver().ParticipantChanged(link.Event{Kind: link.Joined, Participant: p}) })
}

// leave removes a remote participant and reports it.
func (l *fakeLink) leave(identity string) {
	l.mu.Lock()
	p := l.peers[identity]
	delete(l.peers, identity)
	l.mu.Unlock()
	l.enqueue(func() { l.receiver().ParticipantChanged(link.Event{Kind: link.Left, Participant: p}) })
}

func (l *fakeLink) disconnect(err error) {
	l.enqueue(func() { l.receiver().Disconnected(err) })
}

// sync waits until everything queued so far has been delivered.
func (l *fakeLink) sync() {
	done := make(chan struct{})
	l.enqueue(func() { close(done) })
	<-done
}

// next returns the next packet the engine sent (unwired links only).
func (l *fakeLink) next(t *testing.T) *livekit.DataPacket {
	t.Helper()
	select {
	case pkt := <-l.sent:
		return pkt
	case <-time.After(5 * time.Second):
		t.Fatal("no packet sent within 5s")
		return nil
	}
}

// nothingSent fails when the engine sends a packet within d.
func (l *fakeLink) nothingSent(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case pkt := <-l.sent:
		t.Fatalf("unexpected packet sent: %v", pkt)
	case <-time.After(d):
	}
}

// wire connects a and b back to back and tells each about the other.
func wire(a, b *fakeLink) {
	a.mu.Lock()
	a.peer = b
	a.mu.Unlock()
	b.mu.Lock()
	b.peer = a
	b.mu.Unlock()
	a.join(b.local)
	b.join(a.local)
}

// pair is two engines on wired fake links: alice calls, bob serves.
type pair struct {
	aliceLink, bobLink *fakeLink
	alice, bob         *engine.Engine
}

func newPair(t testing.TB, aliceProto, bobProto int32, opts ...engine.Option) *pair {
	t.Helper()
	var caps []livekit.ClientInfo_Capability
	if aliceProto >= 2 {
		caps = link.DefaultCapabilities()
	}
	al := newFakeLink(t, "alice", aliceProto, caps...)
	caps = nil
	if bobProto >= 2 {
		caps = link.DefaultCapabilities()
	}
	bl := newFakeLink(t, "bob", bobProto, caps...)
	p := &pair{aliceLink: al, bobLink: bl, alice: newEngine(t, al, opts...), bob: newEngine(t, bl, opts...)}
	wire(al, bl)
	al.sync()
	bl.sync()
	return p
}

// newEngine creates an engine on l that is closed when the test ends.
func newEngine(t testing.TB, l *fakeLink, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e, err := engine.New(l, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// checkGoroutines fails the test when goroutines started during it are
// still running after its cleanups. Call it first so its cleanup runs last.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { leakcheck.Verify(t, 5*time.Second, before) })
}
