package memroom

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// Default flow-control thresholds of a participant's send buffer. They are of
// the order of a browser data channel's buffer and of the low threshold the
// SDKs set on it.
const (
	DefaultSendHigh = 1 << 20   // 1 MiB
	DefaultSendLow  = 256 << 10 // 256 KiB
)

// Option configures a Room.
type Option func(*roomConfig)

type roomConfig struct {
	announceDelay time.Duration
	sendHigh      int
	sendLow       int
	logger        *slog.Logger
	errs          []error // invalid option values, returned by New
}

func (c *roomConfig) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("memroom: "+format, args...))
}

func defaultRoomConfig() roomConfig {
	return roomConfig{
		sendHigh: DefaultSendHigh,
		sendLow:  DefaultSendLow,
		logger:   slog.Default(),
	}
}

// WithAnnounceDelay delays telling existing participants about a newcomer by
// d, as the SFU batches the joins of participants that publish no tracks.
// Packets from the newcomer may arrive before it is announced, which is the
// race this models. The default is 0 (announced at once); a negative d is
// an error.
func WithAnnounceDelay(d time.Duration) Option {
	return func(c *roomConfig) {
		if d < 0 {
			c.fail("WithAnnounceDelay(%v): negative delay", d)
			return
		}
		c.announceDelay = d
	}
}

// WithSendBuffer sets the flow-control model of every participant's send
// buffer: Send blocks once more than high bytes are undelivered and resumes
// when at most low remain. A packet is charged once, from when it is queued
// for its recipients until every copy has been handed to a receiver; packets
// a fault delays or holds are charged only once released. It must hold that
// 0 <= low <= high and high >= 1; other values are an error.
func WithSendBuffer(high, low int) Option {
	return func(c *roomConfig) {
		if high < 1 || low < 0 || low > high {
			c.fail("WithSendBuffer(%d, %d): want 0 <= low <= high and high >= 1", high, low)
			return
		}
		c.sendHigh, c.sendLow = high, low
	}
}

// WithLogger sets where the room logs what it drops or delays (default
// slog.Default(), as for every lkrpc logger).
func WithLogger(l *slog.Logger) Option {
	return func(c *roomConfig) {
		if l == nil {
			c.fail("WithLogger(nil)")
			return
		}
		c.logger = l
	}
}

// JoinOption configures one participant at Join.
type JoinOption func(*link.Participant)

// WithClientProtocol sets the client protocol the participant advertises
// (default link.DefaultClientProtocol); Join refuses a negative one. Values
// above 2 model newer clients.
func WithClientProtocol(v int32) JoinOption {
	return func(p *link.Participant) { p.ClientProtocol = v }
}

// WithCapabilities sets the capabilities the participant advertises (default
// link.DefaultCapabilities()); none at all is a valid choice.
func WithCapabilities(caps ...livekit.ClientInfo_Capability) JoinOption {
	return func(p *link.Participant) { p.Capabilities = slices.Clone(caps) }
}

// WithKind sets the participant kind (default STANDARD).
func WithKind(k livekit.ParticipantInfo_Kind) JoinOption {
	return func(p *link.Participant) { p.Kind = k }
}

// WithAttributes sets the participant's attributes at join.
func WithAttributes(attrs map[string]string) JoinOption {
	return func(p *link.Participant) { p.Attributes = maps.Clone(attrs) }
}
