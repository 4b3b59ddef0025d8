package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/livekit/protocol/auth"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// Identities of the demo's participants.
const (
	agentID    = "agent"
	v1AgentID  = "v1-agent"
	frontendID = "frontend"
)

// participants are the demo's three connections, in whichever room.
type participants struct {
	where                    string
	agent, v1Agent, frontend *lkrpc.Conn
	closers                  []func()
}

func (p *participants) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// join connects the three participants with connect, in the order the demo
// needs: both agents first, the frontend last. Nobody waits for anybody:
// a call to a participant the room has not announced yet waits for it.
func (p *participants) join(connect func(identity string, opts ...lkrpc.ConnectOption) (*lkrpc.Conn, error)) error {
	for _, j := range []struct {
		identity string
		conn     **lkrpc.Conn
		opts     []lkrpc.ConnectOption
	}{
		{agentID, &p.agent, nil},
		// v1-agent advertises client protocol 0, as participants on SDKs
		// that speak only RPC v1 do (livekit-client ≤ 2.18, server-sdk-go).
		{v1AgentID, &p.v1Agent, []lkrpc.ConnectOption{lkrpc.WithClientProtocol(link.ProtocolV1)}},
		{frontendID, &p.frontend, nil},
	} {
		c, err := connect(j.identity, j.opts...)
		if err != nil {
			p.close()
			return fmt.Errorf("join %s: %w", j.identity, err)
		}
		*j.conn = c
		p.closers = append(p.closers, func() { c.Close() })
	}
	return nil
}

// inMemory puts the participants in the embedded in-memory room.
func inMemory() (*participants, error) {
	room, err := memroom.New()
	if err != nil {
		return nil, err
	}
	p := &participants{where: "the in-memory room", closers: []func(){room.Close}}
	err = p.join(func(identity string, opts ...lkrpc.ConnectOption) (*lkrpc.Conn, error) {
		return lkrpc.ConnectMemory(room, identity, opts...)
	})
	return p, err
}

// onLiveKit joins the participants to a fresh room on a real LiveKit server.
func onLiveKit(ctx context.Context, url, key, secret string) (*participants, error) {
	room := "lkrpc-demo-" + randomSuffix()
	p := &participants{where: "room " + room + " on " + url}
	err := p.join(func(identity string, opts ...lkrpc.ConnectOption) (*lkrpc.Conn, error) {
		token, err := auth.NewAccessToken(key, secret).
			SetIdentity(identity).
			SetValidFor(time.Hour).
			// canUpdateOwnMetadata: the agents advertise their services (discovery).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanUpdateOwnMetadata: new(true)}).
			ToJWT()
		if err != nil {
			return nil, fmt.Errorf("token: %w", err)
		}
		return lkrpc.Connect(ctx, url, token, opts...)
	})
	return p, err
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
