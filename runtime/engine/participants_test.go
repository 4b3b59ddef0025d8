package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/link"
)

type waitResult struct {
	p   link.Participant
	err error
}

func goWait(ctx context.Context, wait func(context.Context, string) (link.Participant, error), identity string) <-chan waitResult {
	res := make(chan waitResult, 1)
	go func() {
		p, err := wait(ctx, identity)
		res <- waitResult{p, err}
	}()
	return res
}

func awaitWait(t *testing.T, res <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("WaitParticipant did not return within 5s")
		return waitResult{}
	}
}

func TestWaitParticipantKnownReturnsAtOnce(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	l.join(link.Participant{Identity: "bob", ClientProtocol: 1})
	l.sync()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a known participant needs no time at all
	p, err := e.WaitParticipant(ctx, "bob")
	if err != nil || p.ClientProtocol != 1 {
		t.Fatalf("WaitParticipant = %+v, %v; want bob with protocol 1", p, err)
	}
}

func TestWaitParticipantWaitsForTheAnnouncement(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	res := goWait(context.Background(), e.WaitParticipant, "bob")
	l.join(link.Participant{Identity: "carol"})
	l.join(link.Participant{Identity: "bob", ClientProtocol: 2})
	r := awaitWait(t, res)
	if r.err != nil || r.p.Identity != "bob" || r.p.ClientProtocol != 2 {
		t.Fatalf("WaitParticipant = %+v, %v; want bob with protocol 2", r.p, r.err)
	}
}

func TestWaitParticipantEndsWithCtx(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	res := goWait(ctx, e.WaitParticipant, "bob")
	cancel()
	if r := awaitWait(t, res); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", r.err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := e.WaitParticipant(ctx, "bob"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded", err)
	}
}

func TestDoneAndErrWhenTheLinkIsLost(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	if e.Err() != nil {
		t.Fatalf("Err() = %v while running", e.Err())
	}
	res := goWait(context.Background(), e.WaitParticipant, "bob")
	lost := errors.New("ice failed")
	l.disconnect(lost)
	select {
	case <-e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Disconnected")
	}
	if !errors.Is(e.Err(), lost) {
		t.Errorf("Err() = %v, want %v", e.Err(), lost)
	}
	if r := awaitWait(t, res); !errors.Is(r.err, lost) {
		t.Errorf("WaitParticipant err = %v, want the link's %v", r.err, lost)
	}
	_ = e.Close()
	if !errors.Is(e.Err(), lost) {
		t.Errorf("after Close, Err() = %v, want still the link's %v", e.Err(), lost)
	}
}

func TestDoneAndErrAfterClose(t *testing.T) {
	checkGoroutines(t)
	l := newFakeLink(t, "alice", link.ProtocolStreamsV2)
	e := newEngine(t, l)
	res := goWait(context.Background(), e.WaitParticipant, "bob")
	_ = e.Close()
	select {
	case <-e.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if e.Err() != nil {
		t.Errorf("Err() = %v after a clean Close, want nil", e.Err())
	}
	if r := awaitWait(t, res); !errors.Is(r.err, link.ErrClosed) {
		t.Errorf("WaitParticipant err = %v, want one wrapping link.ErrClosed", r.err)
	}
}
