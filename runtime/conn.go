package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lkrpc/lkrpc/runtime/discovery"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Participant is what the room says about a participant: identity, kind,
// attributes, and the client protocol and capabilities it advertised.
type Participant = link.Participant

// Conn is one participant in a room that makes and serves lkrpc calls. It
// owns its link to the room and the protocol engine on it, so Close is the
// only thing to end. A *Conn is a Transport: pass it to generated
// New…Client and Register…Handler functions. It is safe for concurrent use.
type Conn struct {
	engine *engine.Engine
	link   link.Link
	adv    *advertising // nil when the Conn advertises nothing (WithDiscovery(false), or a link without link.AttributeSetter)

	closeOnce sync.Once
	closeErr  error
}

var _ transport.Streamer = (*Conn)(nil)

// Connect joins the LiveKit room the token grants, as a data-only
// participant that speaks RPC v1 and v2 (client protocol 2 with raw-DEFLATE
// compression), and returns once it can call and serve. url is the
// server's address (ws(s):// or http(s)://); the token's identity is the
// participant's. It fails within ctx and the link's connect timeout (15 s by
// default); a refused token gives an error carrying the server's reason.
//
// pion (the WebRTC stack under server-sdk-go) logs to server-sdk-go's
// process-wide logger, which is noisy; the first Connect sets it to a quiet
// one unless WithSDKLogger says otherwise.
func Connect(ctx context.Context, url, token string, opts ...ConnectOption) (*Conn, error) {
	cfg, err := newConnectConfig(opts)
	if err != nil {
		return nil, err
	}
	cfg.applySDKLogger()
	l, err := rtc.Connect(ctx, url, token, cfg.rtcOptions()...)
	if err != nil {
		return nil, fmt.Errorf("lkrpc: connect: %w", err)
	}
	return newConn(l, cfg)
}

// ConnectMemory joins the in-memory room as identity: the same Conn as
// Connect gives, on memroom (tests, demos, and programs whose participants
// live in one process).
func ConnectMemory(room *memroom.Room, identity string, opts ...ConnectOption) (*Conn, error) {
	if room == nil {
		return nil, errors.New("lkrpc: connect memory: nil room")
	}
	cfg, err := newConnectConfig(opts)
	if err != nil {
		return nil, err
	}
	l, err := room.Join(identity, cfg.memoryOptions()...)
	if err != nil {
		return nil, fmt.Errorf("lkrpc: connect memory: %w", err)
	}
	return newConn(l, cfg)
}

// ConnectLink puts a Conn on a link the caller made (a custom link.Link,
// or a link with options that Connect does not offer). The Conn owns l
// from then on: Close closes it, and so does a failure here.
func ConnectLink(l link.Link, opts ...ConnectOption) (*Conn, error) {
	if l == nil {
		return nil, errors.New("lkrpc: connect link: nil link")
	}
	cfg, err := newConnectConfig(opts)
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	return newConn(l, cfg)
}

func newConn(l link.Link, cfg *connectConfig) (*Conn, error) {
	e, err := engine.New(l, cfg.engineOptions()...)
	if err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("lkrpc: %w", err)
	}
	c := &Conn{engine: e, link: l}
	if setter, ok := l.(link.AttributeSetter); ok && cfg.discovery {
		c.adv = newAdvertising(setter, cfg.logger)
	}
	return c, nil
}

// advertise implements advertiser: Register advertises the services it
// serves through it.
func (c *Conn) advertise(services []string) (withdraw func(), err error) {
	if c.adv == nil || len(services) == 0 {
		return func() {}, nil
	}
	return c.adv.advertise(services)
}

// Call implements Transport; generated clients call it.
func (c *Conn) Call(ctx context.Context, call transport.Call) (transport.Reply, error) {
	return c.engine.Call(ctx, call)
}

// CallStream implements transport.Streamer: generated clients' streaming
// methods call it.
func (c *Conn) CallStream(ctx context.Context, call transport.StreamCall) (transport.ReplyStream, error) {
	return c.engine.CallStream(ctx, call)
}

// RegisterStream implements transport.Streamer; generated Register…Handler
// functions call it for streaming methods.
func (c *Conn) RegisterStream(method string, h transport.StreamHandler) (unregister func(), err error) {
	return c.engine.RegisterStream(method, h)
}

// Register implements Transport; generated Register…Handler functions call it.
func (c *Conn) Register(method string, h transport.Handler) (unregister func(), err error) {
	return c.engine.Register(method, h)
}

// Identity is the local participant's identity.
func (c *Conn) Identity() string { return c.link.Local().Identity }

// Participant returns a remote participant the room has announced.
func (c *Conn) Participant(identity string) (Participant, bool) {
	return c.link.Participant(identity)
}

// WaitParticipant waits until the room announces identity, ctx ends or the
// Conn does. Calls need no such wait: a call to a participant not yet
// announced waits for it by itself (see "Join window" in the package doc).
func (c *Conn) WaitParticipant(ctx context.Context, identity string) (Participant, error) {
	return c.engine.WaitParticipant(ctx, identity)
}

// Serves reports whether the remote participant identity advertises
// service (a full protobuf name, e.g. agentv1.VoiceAgentServiceName) in the
// discovery attribute: it has registered a handler of that service and has
// not unregistered it. False for a participant the room has not announced.
// See package discovery.
func (c *Conn) Serves(identity, service string) bool {
	p, ok := c.link.Participant(identity)
	return ok && discovery.Serves(p.Attributes, service)
}

// servesPoll is how often WaitServes looks again: the attribute travels
// through the server in tens of milliseconds or more, so a look every
// 50 ms adds little.
const servesPoll = 50 * time.Millisecond

// WaitServes waits until identity advertises service (see Serves), ctx ends
// (an error wrapping ctx's) or the Conn does. Calls need no such wait; it
// is for a caller that must know a participant is ready before it calls.
func (c *Conn) WaitServes(ctx context.Context, identity, service string) error {
	tick := time.NewTicker(servesPoll)
	defer tick.Stop()
	for !c.Serves(identity, service) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("lkrpc: waiting for %q to serve %s: %w", identity, service, ctx.Err())
		case <-c.Done():
			if err := c.Err(); err != nil {
				return fmt.Errorf("lkrpc: waiting for %q to serve %s: %w", identity, service, err)
			}
			return fmt.Errorf("lkrpc: waiting for %q to serve %s: %w", identity, service, link.ErrClosed)
		}
	}
	return nil
}

// Done is closed when the Conn has left the room: Close was called, or the
// link was lost for good (Err says why).
func (c *Conn) Done() <-chan struct{} { return c.engine.Done() }

// Err is why the Conn left the room: nil while it is in it and after Close,
// else the link's error (the server removed it, the connection was lost).
func (c *Conn) Err() error { return c.engine.Err() }

// Close leaves the room: advertising stops, pending calls end with 1503,
// running handlers are cancelled and waited for, then the link closes. It must not be called
// from a handler. Calling it again returns the first result.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		if c.adv != nil {
			c.adv.close()
		}
		c.closeErr = errors.Join(c.engine.Close(), c.link.Close())
	})
	return c.closeErr
}
