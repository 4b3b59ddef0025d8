package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// Identities of the demo's participants.
const (
	agentID    = "agent"
	v1AgentID  = "v1-agent"
	frontendID = "frontend"
)

// participants are the demo's three protocol engines, in whichever room.
type participants struct {
	where                    string
	agent, v1Agent, frontend *engine.Engine
	closers                  []func()
}

func (p *participants) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// inMemory puts the participants in the embedded in-memory room.
func inMemory() (*participants, error) {
	room := memroom.New()
	p := &participants{where: "the in-memory room", closers: []func(){room.Close}}
	join := func(identity string, protocol int32) (*engine.Engine, error) {
		l, err := room.Join(identity, memroom.WithClientProtocol(protocol))
		if err != nil {
			return nil, fmt.Errorf("join %s: %w", identity, err)
		}
		e := engine.New(l)
		p.closers = append(p.closers, func() { e.Close() })
		return e, nil
	}
	var err error
	if p.agent, err = join(agentID, link.DefaultClientProtocol); err == nil {
		if p.v1Agent, err = join(v1AgentID, link.ProtocolV1); err == nil {
			p.frontend, err = join(frontendID, link.DefaultClientProtocol)
		}
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// onLiveKit joins the participants to a fresh room on a real LiveKit server
// as data-only participants, and waits until each sees the ones it talks
// to: an unseen participant counts as client protocol 0.
func onLiveKit(ctx context.Context, url, key, secret string) (*participants, error) {
	room := "lkrpc-demo-" + randomSuffix()
	p := &participants{where: "room " + room + " on " + url}
	links := map[string]*rtc.Link{}
	join := func(identity string, opts ...rtc.Option) (*engine.Engine, error) {
		token, err := auth.NewAccessToken(key, secret).
			SetIdentity(identity).
			SetValidFor(time.Hour).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).
			ToJWT()
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", identity, err)
		}
		l, err := rtc.Connect(ctx, url, token, opts...)
		if err != nil {
			return nil, fmt.Errorf("join %s: %w", identity, err)
		}
		links[identity] = l
		e := engine.New(l)
		p.closers = append(p.closers, func() { l.Close() }, func() { e.Close() })
		return e, nil
	}
	var err error
	if p.agent, err = join(agentID); err == nil {
		if p.v1Agent, err = join(v1AgentID, rtc.WithClientProtocol(link.ProtocolV1), rtc.WithCapabilities()); err == nil {
			p.frontend, err = join(frontendID)
		}
	}
	if err == nil {
		// LiveKit announces participants that publish nothing in batches, up
		// to about 3 s after they join.
		waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for _, pair := range [][2]string{{frontendID, agentID}, {frontendID, v1AgentID}, {agentID, frontendID}, {v1AgentID, frontendID}} {
			if _, werr := links[pair[0]].WaitParticipant(waitCtx, pair[1]); werr != nil {
				err = errors.Join(err, fmt.Errorf("%s does not see %s: %w", pair[0], pair[1], werr))
			}
		}
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
