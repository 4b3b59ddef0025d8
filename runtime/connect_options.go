package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/livekit/protocol/logger"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// ConnectOption configures Connect, ConnectMemory and ConnectLink. An
// invalid value makes them fail with an error naming the option.
type ConnectOption interface{ applyConnect(*connectConfig) }

type connectOptionFunc func(*connectConfig)

func (f connectOptionFunc) applyConnect(c *connectConfig) { f(c) }

type connectConfig struct {
	logger     *slog.Logger
	attributes map[string]string
	discovery  bool          // advertise the services served (WithDiscovery)
	protocol   *int32        // nil: link.DefaultClientProtocol
	sdkLogger  logger.Logger // nil: quiet
	engine     []engine.Option
	rtc        []rtc.Option
	errs       []error
}

func newConnectConfig(opts []ConnectOption) (*connectConfig, error) {
	c := &connectConfig{logger: slog.Default(), discovery: true}
	for _, o := range opts {
		if o != nil {
			o.applyConnect(c)
		}
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// WithLogger sets where lkrpc logs for this Conn (default slog.Default()):
// handler failures whose text the caller does not get and panics (warn and
// error), the link's state changes (info), and dropped packets (debug).
func WithLogger(l *slog.Logger) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) {
		if l == nil {
			c.errs = append(c.errs, errors.New("lkrpc: WithLogger: nil logger"))
			return
		}
		c.logger = l
	})
}

// WithAttributes sets the participant's attributes when it joins (a real
// room's token must allow it: CanUpdateOwnMetadata). Authorizers of other
// participants can decide on them (RequireAttribute).
func WithAttributes(attrs map[string]string) ConnectOption {
	attrs = maps.Clone(attrs)
	return connectOptionFunc(func(c *connectConfig) { c.attributes = attrs })
}

// WithDiscovery sets whether the Conn advertises the services it serves in
// the discovery attribute (default true; see package discovery): each
// Register adds its services, unregistering removes them. A real room's
// token needs canUpdateOwnMetadata for it; without that, the Conn logs one
// warning and serves anyway, and WithDiscovery(false) keeps it quiet.
// Reading others' services (Serves) works either way.
func WithDiscovery(advertise bool) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) { c.discovery = advertise })
}

// WithClientProtocol sets the client protocol the participant advertises:
// 2 (the default: RPC v2 with single-packet and raw-DEFLATE streams), 1
// (RPC v2, plain streams) or 0 (RPC v1 packets only, as server-sdk-go and
// livekit-client ≤ 2.18 advertise). Below 2 no capabilities are advertised.
// Lowering it is for tests and demos of what older peers meet.
func WithClientProtocol(p int32) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) {
		if p < link.ProtocolV1 || p > link.ProtocolStreamsV2 {
			c.errs = append(c.errs, fmt.Errorf("lkrpc: WithClientProtocol(%d): want 0, 1 or 2", p))
			return
		}
		c.protocol = &p
	})
}

// WithSDKLogger sets server-sdk-go's process-wide logger, where pion's
// WebRTC logs go (ICE, DTLS, SCTP), instead of the quiet one Connect sets.
// It takes effect when Connect runs.
func WithSDKLogger(l logger.Logger) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) {
		if l == nil {
			c.errs = append(c.errs, errors.New("lkrpc: WithSDKLogger: nil logger"))
			return
		}
		c.sdkLogger = l
	})
}

// WithEngineOptions passes options to the protocol engine: timeouts, the
// packet threshold, compression, inbound limits (see package engine).
func WithEngineOptions(opts ...engine.Option) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) { c.engine = append(c.engine, opts...) })
}

// WithRTCOptions passes options to Connect's participant link: the client
// protocol and capabilities advertised, send buffer, timeouts (see package
// rtc). ConnectMemory and ConnectLink ignore them.
func WithRTCOptions(opts ...rtc.Option) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) { c.rtc = append(c.rtc, opts...) })
}

// ConnectionState is a step of the participant link's recovery
// (WithConnectionState): reconnecting, then reconnected or gave up. See
// package rtc's StateChange.
type ConnectionState = rtc.StateChange

// WithConnectionState has fn told when Connect's participant link loses
// the room and gets back by itself (or gives up, after which the Conn's
// Done closes). Handlers stay registered across the link's recovery; calls
// in flight when it lost the room fail with 1503. fn must return at once.
// ConnectMemory and ConnectLink ignore it.
func WithConnectionState(fn func(ConnectionState)) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) {
		if fn == nil {
			c.errs = append(c.errs, errors.New("lkrpc: WithConnectionState: nil function"))
			return
		}
		c.rtc = append(c.rtc, rtc.WithStateHandler(fn))
	})
}

// WithReconnect bounds how long Connect's participant link tries to join
// the room again when its session is lost (rtc.WithReconnect; default
// rtc.DefaultReconnectTimeout); 0 turns rejoining off, so such a loss ends
// the Conn. ConnectMemory and ConnectLink ignore it.
func WithReconnect(maxTime time.Duration) ConnectOption {
	return connectOptionFunc(func(c *connectConfig) {
		if maxTime < 0 {
			c.errs = append(c.errs, fmt.Errorf("lkrpc: WithReconnect(%v): want >= 0", maxTime))
			return
		}
		c.rtc = append(c.rtc, rtc.WithReconnect(maxTime))
	})
}

// quietOnce makes the first Connect without WithSDKLogger quiet pion.
var quietOnce sync.Once

func (c *connectConfig) applySDKLogger() {
	if c.sdkLogger != nil {
		rtc.SetSDKLogger(c.sdkLogger)
		return
	}
	quietOnce.Do(func() { rtc.SetSDKLogger(rtc.QuietSDKLogger()) })
}

// engineOptions come first from the Conn's settings, then the caller's
// explicit engine options, which win.
func (c *connectConfig) engineOptions() []engine.Option {
	return append([]engine.Option{engine.WithLogger(c.logger)}, c.engine...)
}

func (c *connectConfig) rtcOptions() []rtc.Option {
	opts := []rtc.Option{rtc.WithLogger(c.logger)}
	if c.attributes != nil {
		opts = append(opts, rtc.WithAttributes(c.attributes))
	}
	if c.protocol != nil {
		opts = append(opts, rtc.WithClientProtocol(*c.protocol))
	}
	return append(opts, c.rtc...)
}

func (c *connectConfig) memoryOptions() []memroom.JoinOption {
	var opts []memroom.JoinOption
	if c.attributes != nil {
		opts = append(opts, memroom.WithAttributes(c.attributes))
	}
	if p := c.protocol; p != nil {
		opts = append(opts, memroom.WithClientProtocol(*p))
		if *p < link.ProtocolStreamsV2 {
			opts = append(opts, memroom.WithCapabilities())
		}
	}
	return opts
}
