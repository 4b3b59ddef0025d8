package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Defaults and limits. The send marks follow the measurements in docs/DESIGN.md ("The real-room link: rtc"): any
// high-water mark of 64 KiB or more took 1 MiB to a browser in 80–140 ms,
// bounded by the reader; draining to zero before each chunk took 3.7 s.
const (
	// DefaultHighWater is the data channel buffered amount at which stream
	// packets wait.
	DefaultHighWater = 256 << 10
	// DefaultLowWater is the buffered amount at which they resume.
	DefaultLowWater = 64 << 10
	// MinHighWater is the smallest high-water mark accepted.
	MinHighWater = 64 << 10
	// DefaultMaxQueuedBytes bounds received packets waiting for the receiver
	// (before Attach, or while it is slow); beyond it packets are dropped.
	DefaultMaxQueuedBytes = 64 << 20
	// DefaultConnectTimeout bounds Connect: signal join, ICE and the data
	// channel opening (joins took 10–100 ms on loopback).
	DefaultConnectTimeout = 15 * time.Second
	// DefaultResumeTimeout bounds the attempts to resume a dropped signal
	// connection before the link ends with ErrSignalLost.
	DefaultResumeTimeout = 10 * time.Second
	// DefaultReconnectTimeout bounds the attempts to join the room again
	// with a new session (after resuming failed or the server asked for a
	// reconnect) before the link ends with ErrReconnectFailed.
	DefaultReconnectTimeout = 30 * time.Second
	// DefaultLeaveTimeout bounds how long Close waits for the server to
	// answer the LeaveRequest.
	DefaultLeaveTimeout = 2 * time.Second
)

// Option configures Connect.
type Option func(*config)

type config struct {
	clientProtocol   int32
	capabilities     []livekit.ClientInfo_Capability
	highWater        uint64
	lowWater         uint64
	maxQueued        int
	leaveTimeout     time.Duration
	connectTimeout   time.Duration
	resumeTimeout    time.Duration
	reconnectTimeout time.Duration
	onState          func(StateChange)
	log              logger.Logger // the link's own logs
	sdkLog           logger.Logger // server-sdk-go's signalling and peer connection: warnings up
	attributes       map[string]string
	metadata         string
	errs             []error
}

func defaultConfig() config {
	return config{
		clientProtocol:   link.DefaultClientProtocol,
		capabilities:     link.DefaultCapabilities(),
		highWater:        DefaultHighWater,
		lowWater:         DefaultLowWater,
		maxQueued:        DefaultMaxQueuedBytes,
		leaveTimeout:     DefaultLeaveTimeout,
		connectTimeout:   DefaultConnectTimeout,
		resumeTimeout:    DefaultResumeTimeout,
		reconnectTimeout: DefaultReconnectTimeout,
		log:              sdkLogger(slog.Default()),
		sdkLog:           sdkLogger(warnings(slog.Default())),
	}
}

// WithClientProtocol sets the client protocol to advertise (PROTOCOL.md §1):
// link.ProtocolStreamsV2 (the default), link.ProtocolRPCv2 or
// link.ProtocolV1. Below 2 no capabilities are advertised either, since the
// compression capability only has a meaning at 2.
func WithClientProtocol(p int32) Option {
	return func(c *config) {
		if p < link.ProtocolV1 || p > link.ProtocolStreamsV2 {
			c.errs = append(c.errs, fmt.Errorf("rtc: client protocol %d not supported (want 0, 1 or 2)", p))
			return
		}
		c.clientProtocol = p
	}
}

// WithCapabilities replaces the advertised capabilities (default:
// CAP_COMPRESSION_DEFLATE_RAW). Pass none to advertise none.
func WithCapabilities(caps ...livekit.ClientInfo_Capability) Option {
	return func(c *config) { c.capabilities = slices.Clone(caps) }
}

// WithSendBuffer sets the flow-control marks of the reliable channel in
// bytes: stream packets wait while the buffered amount is at least high and
// resume when it falls to low. high must be at least MinHighWater and low
// below high.
func WithSendBuffer(high, low int) Option {
	return func(c *config) {
		if high < MinHighWater || low < 0 || low >= high {
			c.errs = append(c.errs, fmt.Errorf("rtc: send buffer marks high=%d low=%d: want high >= %d and 0 <= low < high", high, low, MinHighWater))
			return
		}
		c.highWater, c.lowWater = uint64(high), uint64(low)
	}
}

// WithMaxQueuedBytes bounds the received bytes waiting for the receiver
// (default DefaultMaxQueuedBytes). Packets beyond it are dropped, never
// blocking the peer connection; Link.DroppedPackets counts them.
func WithMaxQueuedBytes(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("rtc: max queued bytes %d: want > 0", n))
			return
		}
		c.maxQueued = n
	}
}

// WithLeaveTimeout bounds how long Close waits for the server's Leave reply.
func WithLeaveTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("rtc: leave timeout %v: want > 0", d))
			return
		}
		c.leaveTimeout = d
	}
}

// WithConnectTimeout bounds Connect (default DefaultConnectTimeout); a
// shorter ctx deadline still wins.
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("rtc: connect timeout %v: want > 0", d))
			return
		}
		c.connectTimeout = d
	}
}

// WithResumeTimeout bounds how long the link tries to resume its session
// (a dropped signal connection, a failed transport: see recovery.go)
// before it rejoins or, with WithReconnect(0), ends with ErrSignalLost
// (default DefaultResumeTimeout); 0 disables resuming, so the link rejoins
// at once, or ends at once with WithReconnect(0).
func WithResumeTimeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.errs = append(c.errs, fmt.Errorf("rtc: resume timeout %v: want >= 0", d))
			return
		}
		c.resumeTimeout = d
	}
}

// WithReconnect bounds how long the link tries to join the room again with
// a new session when its session cannot be resumed or the server asks for a
// reconnect (default DefaultReconnectTimeout). The attempts back off from
// 0 to 4 s apart; each is bounded by the connect timeout. 0 turns rejoining
// off: the link then ends where it would have rejoined, as it did before
// rejoining existed.
func WithReconnect(maxTime time.Duration) Option {
	return func(c *config) {
		if maxTime < 0 {
			c.errs = append(c.errs, fmt.Errorf("rtc: WithReconnect(%v): want >= 0", maxTime))
			return
		}
		c.reconnectTimeout = maxTime
	}
}

// WithStateHandler has fn told of the link's recovery: StateReconnecting
// when it lost its session or signal connection, then StateReconnected or
// StateGaveUp. fn runs on the recovery goroutine, one call at a time, and
// must not block (nor call Close). The same steps are logged at info level.
func WithStateHandler(fn func(StateChange)) Option {
	return func(c *config) {
		if fn == nil {
			c.errs = append(c.errs, errors.New("rtc: WithStateHandler: nil function"))
			return
		}
		c.onState = fn
	}
}

// WithLogger sets where the link and the SDK pieces under it log (default
// slog.Default()): state changes at info, dropped packets at debug. pion's
// own logging goes to server-sdk-go's process-wide logger (SetSDKLogger).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l == nil {
			c.errs = append(c.errs, fmt.Errorf("rtc: WithLogger: nil logger"))
			return
		}
		c.log, c.sdkLog = sdkLogger(l), sdkLogger(warnings(l))
	}
}

// warnings passes on only l's records of warning level and above: the SDK's
// signalling logs each join at info level ("JoinRequest sizes …"), which
// is noise in an application's log.
func warnings(l *slog.Logger) *slog.Logger { return slog.New(minLevel{l.Handler()}) }

type minLevel struct{ slog.Handler }

func (h minLevel) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn && h.Handler.Enabled(ctx, level)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs)}
}

func (h minLevel) WithGroup(name string) slog.Handler { return minLevel{h.Handler.WithGroup(name)} }

// sdkLogger adapts l to the logger interface server-sdk-go's pieces take.
func sdkLogger(l *slog.Logger) logger.Logger {
	return logger.LogRLogger(logr.FromSlogHandler(l.Handler()))
}

// WithAttributes sets participant attributes sent with the join (the token
// must allow it).
func WithAttributes(attrs map[string]string) Option {
	return func(c *config) { c.attributes = attrs }
}

// WithMetadata sets participant metadata sent with the join.
func WithMetadata(md string) Option {
	return func(c *config) { c.metadata = md }
}

// advertised returns the capabilities actually advertised: none below
// client protocol 2.
func (c *config) advertised() []livekit.ClientInfo_Capability {
	if c.clientProtocol < link.ProtocolStreamsV2 {
		return nil
	}
	return c.capabilities
}

// SetSDKLogger sets server-sdk-go's package logger, which pion's WebRTC logs
// (ICE, DTLS, SCTP) go to. It is process-wide, unlike WithLogger; pion is
// chatty (harmless failed listens, STUN timeouts), so applications that do
// not want that on stderr pass QuietSDKLogger().
//
// Pass a zap logger (logger.NewZapLogger) rather than a logr one or
// logger.GetDiscardLogger(): pion's adapter for other loggers formats every
// trace line before the logger drops it, while for a zap logger it checks
// the level first. With the SDK's default logger or the discard logger
// that formatting took 5.5 % of the process's CPU in a burst of small calls
// (bench/rpc rows 1 and 6); with QuietSDKLogger, 0.7 %.
//
// The link's own peer connection (pctransport.go) logs to the same logger:
// set it here rather than with lksdk.SetLogger.
func SetSDKLogger(l logger.Logger) {
	lksdk.SetLogger(l)
	pionLogs.Store(&l)
}

// QuietSDKLogger is a logger for SetSDKLogger that writes nothing and lets
// pion skip formatting what it would have logged: a zap logger whose level
// is above anything pion or the SDK log.
func QuietSDKLogger() logger.Logger {
	l, err := logger.NewZapLogger(&logger.Config{Level: "fatal"})
	if err != nil { // only for a bad level name, which this is not
		return logger.GetDiscardLogger()
	}
	return l
}
