package lkserver

import (
	"context"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// AnnounceWithin is how long a join may take to reach the participants
// already in the room: the server batches updates about participants that
// publish nothing every ~3 s.
const AnnounceWithin = 10 * time.Second

// ConnectLink joins room as identity with lkrpc's participant link and
// closes it when the test ends (failing the test if its goroutines do not
// finish).
func (s *Server) ConnectLink(t testing.TB, room, identity string, opts ...rtc.Option) *rtc.Link {
	t.Helper()
	return s.ConnectLinkWithToken(t, identity, s.Token(t, identity, room), opts...)
}

// ConnectLinkWithToken is ConnectLink with a token of the test's own
// (TokenWith), for participants of another kind or with attributes.
func (s *Server) ConnectLinkWithToken(t testing.TB, identity, token string, opts ...rtc.Option) *rtc.Link {
	t.Helper()
	return connectLink(t, s.URL, identity, token, opts...)
}

// ConnectLink joins room as identity with its signal connection through
// the proxy, and closes the link when the test ends.
func (p *SignalProxy) ConnectLink(t testing.TB, room, identity string, opts ...rtc.Option) *rtc.Link {
	t.Helper()
	return connectLink(t, p.URL, identity, p.srv.Token(t, identity, room), opts...)
}

func connectLink(t testing.TB, url, identity, token string, opts ...rtc.Option) *rtc.Link {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	l, err := rtc.Connect(ctx, url, token, opts...)
	if err != nil {
		t.Fatalf("Connect %s: %v", identity, err)
	}
	t.Logf("%s joined in %v", identity, time.Since(start).Round(time.Microsecond))
	t.Cleanup(func() {
		_ = l.Close()
		select {
		case <-l.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("%s: link goroutines still running 10 s after Close", identity)
		}
	})
	return l
}

// WaitParticipant waits until l sees identity.
func WaitParticipant(t testing.TB, l *rtc.Link, identity string) link.Participant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), AnnounceWithin)
	defer cancel()
	p, err := l.WaitParticipant(ctx, identity)
	if err != nil {
		t.Fatalf("waiting for %s: %v", identity, err)
	}
	return p
}

// Stock is a plain server-sdk-go participant (client protocol 0).
type Stock struct {
	*lksdk.Room
	joins chan struct{} // a token per OnParticipantConnected
}

// StockRoom joins room as a stock server-sdk-go participant, not
// subscribing to media, and leaves when the test ends. cb may be nil.
func (s *Server) StockRoom(t testing.TB, room, identity string, cb *lksdk.RoomCallback) *Stock {
	t.Helper()
	if cb == nil {
		cb = &lksdk.RoomCallback{}
	}
	st := &Stock{joins: make(chan struct{}, 64)}
	theirs := cb.OnParticipantConnected
	cb.OnParticipantConnected = func(rp *lksdk.RemoteParticipant) {
		if theirs != nil {
			theirs(rp)
		}
		select {
		case st.joins <- struct{}{}:
		default:
		}
	}
	r, err := lksdk.ConnectToRoomWithToken(s.URL, s.Token(t, identity, room), cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("stock room %s: %v", identity, err)
	}
	st.Room = r
	t.Cleanup(r.Disconnect)
	return st
}

// WaitSees waits until the stock participant knows identity: the SDK
// ignores packets from participants it has not heard of yet.
func (st *Stock) WaitSees(t testing.TB, identity string) {
	t.Helper()
	deadline := time.After(AnnounceWithin)
	for st.GetParticipantByIdentity(identity) == nil {
		select {
		case <-st.joins: // the SDK adds to its table before calling back
		case <-deadline:
			t.Fatalf("stock participant never saw %s", identity)
		}
	}
}
