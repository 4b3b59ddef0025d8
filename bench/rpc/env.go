package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// bench is the state shared by the rows of one run.
type bench struct {
	url     string  // the server's URL; empty when no row needs it
	scale   float64 // -scale
	browser bool    // run the Go↔browser figures
	notes   *strings.Builder
}

// note adds a paragraph under the table.
func (b *bench) note(format string, args ...any) {
	fmt.Fprintf(b.notes, format+"\n\n", args...)
}

// announceWithin bounds how long a join takes to reach the others: the
// server batches updates about participants that publish nothing (~3 s).
const announceWithin = 10 * time.Second

// scene is the participants of one row in one fresh room; close leaves
// them all, engines first.
type scene struct {
	b       *bench
	room    string
	closers []func()
}

func (b *bench) newScene(name string) *scene {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return &scene{b: b, room: "bench-" + name + "-" + hex.EncodeToString(r[:])}
}

func (s *scene) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

func (s *scene) token(identity string) (string, error) {
	return auth.NewAccessToken(lkserver.APIKey, lkserver.APISecret).
		SetIdentity(identity).
		SetValidFor(time.Hour).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: s.room}).
		ToJWT()
}

// link joins as identity with lkrpc's participant link and an engine on it.
func (s *scene) link(ctx context.Context, identity string, linkOpts []rtc.Option, engOpts ...engine.Option) (*rtc.Link, *engine.Engine, error) {
	l, err := s.rawLink(ctx, identity, linkOpts...)
	if err != nil {
		return nil, nil, err
	}
	eng, err := engine.New(l, engOpts...)
	if err != nil {
		return nil, nil, err
	}
	s.closers = append(s.closers, func() { _ = eng.Close() })
	return l, eng, nil
}

// rawLink joins as identity with the participant link alone (no engine).
func (s *scene) rawLink(ctx context.Context, identity string, opts ...rtc.Option) (*rtc.Link, error) {
	tok, err := s.token(identity)
	if err != nil {
		return nil, err
	}
	l, err := rtc.Connect(ctx, s.b.url, tok, opts...)
	if err != nil {
		return nil, fmt.Errorf("join %s: %w", identity, err)
	}
	s.closers = append(s.closers, func() {
		_ = l.Close()
		<-l.Done()
	})
	return l, nil
}

// meet waits until every link sees every other identity.
func meet(ctx context.Context, links map[string]*rtc.Link) error {
	ctx, cancel := context.WithTimeout(ctx, announceWithin)
	defer cancel()
	for me, l := range links {
		for other := range links {
			if other == me {
				continue
			}
			if _, err := l.WaitParticipant(ctx, other); err != nil {
				return fmt.Errorf("%s never saw %s: %w", me, other, err)
			}
		}
	}
	return nil
}

// stock joins as identity with a plain server-sdk-go *lksdk.Room (client
// protocol 0), not subscribing to media.
func (s *scene) stock(identity string) (*stockRoom, error) {
	tok, err := s.token(identity)
	if err != nil {
		return nil, err
	}
	st := &stockRoom{joined: make(chan struct{}, 64)}
	cb := &lksdk.RoomCallback{OnParticipantConnected: func(*lksdk.RemoteParticipant) {
		select {
		case st.joined <- struct{}{}:
		default:
		}
	}}
	r, err := lksdk.ConnectToRoomWithToken(s.b.url, tok, cb, lksdk.WithAutoSubscribe(false))
	if err != nil {
		return nil, fmt.Errorf("stock room %s: %w", identity, err)
	}
	st.Room = r
	s.closers = append(s.closers, r.Disconnect)
	return st, nil
}

type stockRoom struct {
	*lksdk.Room
	joined chan struct{} // a token per OnParticipantConnected
}

// waitSees waits until the stock room knows identity: the SDK drops
// packets from participants it has not heard of.
func (st *stockRoom) waitSees(ctx context.Context, identity string) error {
	deadline := time.After(announceWithin)
	for st.GetParticipantByIdentity(identity) == nil {
		select {
		case <-st.joined: // the SDK adds to its table before calling back
		case <-deadline:
			return errors.New("stock participant never saw " + identity)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
