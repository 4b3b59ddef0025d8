package engine

import (
	"compress/flate"
	"fmt"
	"log/slog"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Defaults of the engine's options.
const (
	// DefaultAckTimeout is how long a caller waits for RpcAck (PROTOCOL.md §2).
	DefaultAckTimeout = 7 * time.Second
	// DefaultTimeout is the response timeout of a call whose ctx has no
	// deadline and that sets no timeout of its own.
	DefaultTimeout = 15 * time.Second
	// MaxPacketPayload is the largest payload an RPC v1 packet may carry
	// (UTF-8 bytes); larger ones fail with 1402 (request) or 1504 (reply).
	MaxPacketPayload = transport.MaxPacketPayload
	// DefaultPacketThreshold is the largest payload sent as a v1 packet to
	// a peer of client protocol ≥ 1 (WithPacketThreshold says when else a
	// stream goes); larger payloads go as a v2 stream.
	DefaultPacketThreshold = MaxPacketPayload
	// DefaultMaxRequestsPerSender bounds the handlers running at once for one
	// caller; requests beyond it are acked and refused with 1500.
	DefaultMaxRequestsPerSender = 4096
)

// InboundLimits bound what the engine accepts from remote participants. Input over
// a limit fails its stream at once (a request is answered 1500 with data
// naming the limit; a response fails the call with 1500 saying so) and
// nothing past the limit is buffered. Negative fields are an error.
type InboundLimits struct {
	// MaxPayloadBytes is the largest reassembled stream payload (request or
	// response, after inflating); 0 means the datastream default (64 MiB,
	// datastream.DefaultMaxPayloadBytes).
	MaxPayloadBytes int64
	// MaxStreamsPerSender is how many streams one sender may have open at
	// once; 0 means the datastream default (32,
	// datastream.DefaultMaxStreamsPerSender).
	MaxStreamsPerSender int
	// MaxBufferedBytes bounds the memory all open incoming streams hold
	// together, whoever sends them: their bytes, or for a stream past 64 KiB
	// its whole mapping off the Go heap (datastream, "Memory"); 0 means the
	// datastream default (256 MiB, datastream.DefaultMaxBufferedBytes).
	MaxBufferedBytes int64
	// MaxRequestsPerSender is how many handlers may run at once for one
	// caller; 0 means DefaultMaxRequestsPerSender.
	MaxRequestsPerSender int
}

// Option configures an Engine. An option given a value it cannot use makes
// New fail with an error naming the option, rather than quietly running
// with something else.
type Option func(*config)

type config struct {
	ackTimeout      time.Duration
	defaultTimeout  time.Duration
	packetThreshold int
	compressMin     int
	compressLevel   int
	chunkBytes      int
	limits          InboundLimits
	logger          *slog.Logger
	newID           func() string
	now             func() time.Time
	errs            []error
}

func defaultConfig() config {
	return config{
		ackTimeout:      DefaultAckTimeout,
		defaultTimeout:  DefaultTimeout,
		packetThreshold: DefaultPacketThreshold,
		logger:          slog.Default(),
		newID:           newUUID,
		now:             time.Now,
	}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("lkrpc engine: "+format, args...))
}

// normalize fills in what a zero value means.
func (c *config) normalize() {
	if c.limits.MaxRequestsPerSender == 0 {
		c.limits.MaxRequestsPerSender = DefaultMaxRequestsPerSender
	}
}

// WithAckTimeout sets how long a call waits for the handler's RpcAck
// (default 7 s, DefaultAckTimeout); d must be > 0.
func WithAckTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithAckTimeout(%v): want > 0", d)
			return
		}
		c.ackTimeout = d
	}
}

// WithDefaultTimeout sets the response timeout of calls that have neither
// their own timeout nor a ctx deadline (default 15 s, DefaultTimeout); d
// must be > 0.
func WithDefaultTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("WithDefaultTimeout(%v): want > 0", d)
			return
		}
		c.defaultTimeout = d
	}
}

// WithPacketThreshold sets the largest payload (bytes) sent as an RPC v1
// packet to a peer of client protocol ≥ 1; larger ones go as a v2 stream
// (default DefaultPacketThreshold, 15360). n must be in [0,
// MaxPacketPayload]; 0 sends every non-empty payload to such peers as a
// stream. Peers of protocol 0 always get packets, whatever the threshold;
// a protocol-2 peer that takes deflate gets a stream from the compression
// minimum up (WithCompressMin), and the first request to any peer of
// protocol ≥ 1 is a stream (PROTOCOL.md §6).
func WithPacketThreshold(n int) Option {
	return func(c *config) {
		if n < 0 || n > MaxPacketPayload {
			c.fail("WithPacketThreshold(%d): want 0…%d", n, MaxPacketPayload)
			return
		}
		c.packetThreshold = n
	}
}

// WithCompressMin sets the smallest payload (bytes) worth compressing for a
// peer that accepts raw DEFLATE; 0 means the datastream default
// (datastream.DefaultCompressMin). n must be >= 0.
func WithCompressMin(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail("WithCompressMin(%d): want >= 0", n)
			return
		}
		c.compressMin = n
	}
}

// WithCompressLevel sets the compress/flate level (flate.HuffmanOnly …
// flate.BestCompression); 0 means the datastream default
// (datastream.DefaultLevel, or datastream.DefaultSmallLevel for small or
// near-random payloads).
func WithCompressLevel(level int) Option {
	return func(c *config) {
		if level < flate.HuffmanOnly || level > flate.BestCompression {
			c.fail("WithCompressLevel(%d): want %d…%d", level, flate.HuffmanOnly, flate.BestCompression)
			return
		}
		c.compressLevel = level
	}
}

// WithChunkBytes sets the content size of stream chunks, in
// [datastream.MinChunkBytes, datastream.MaxChunkBytes]; 0 means
// datastream.MaxChunkBytes.
func WithChunkBytes(n int) Option {
	return func(c *config) {
		if n != 0 && (n < datastream.MinChunkBytes || n > datastream.MaxChunkBytes) {
			c.fail("WithChunkBytes(%d): want 0 or %d…%d", n, datastream.MinChunkBytes, datastream.MaxChunkBytes)
			return
		}
		c.chunkBytes = n
	}
}

// WithInboundLimits bounds inbound payloads, open streams and running handlers per
// sender. Zero fields keep their defaults; negative ones are an error.
func WithInboundLimits(l InboundLimits) Option {
	return func(c *config) {
		if l.MaxPayloadBytes < 0 || l.MaxStreamsPerSender < 0 || l.MaxBufferedBytes < 0 || l.MaxRequestsPerSender < 0 {
			c.fail("WithInboundLimits(%+v): negative limit", l)
			return
		}
		c.limits = l
	}
}

// WithLogger sets where the engine logs (default slog.Default(), as for
// every lkrpc logger). Dropped packets are logged at debug level, handlers'
// failures at warn level and their panics at error level.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l == nil {
			c.fail("WithLogger(nil)")
			return
		}
		c.logger = l
	}
}

// WithIDs sets the generator of request and stream ids (default: random
// UUIDv4). Tests use it to reproduce wire vectors.
func WithIDs(f func() string) Option {
	return func(c *config) {
		if f == nil {
			c.fail("WithIDs(nil)")
			return
		}
		c.newID = f
	}
}

// WithClock sets the clock for stream header timestamps (default time.Now).
// Timers always use the real clock.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.fail("WithClock(nil)")
			return
		}
		c.now = now
	}
}

func (c *config) sendOptions(inline, compress bool) datastream.SendOptions {
	return datastream.SendOptions{
		Inline:      inline,
		Compress:    compress,
		CompressMin: c.compressMin,
		Level:       c.compressLevel,
		ChunkBytes:  c.chunkBytes,
	}
}

// compressFrom is the smallest payload compression is tried for
// (WithCompressMin, or the datastream default).
func (c *config) compressFrom() int {
	if c.compressMin == 0 {
		return datastream.DefaultCompressMin
	}
	return c.compressMin
}

func (c *config) assemblerLimits() datastream.Limits {
	return datastream.Limits{
		MaxPayloadBytes:     c.limits.MaxPayloadBytes,
		MaxStreamsPerSender: c.limits.MaxStreamsPerSender,
		MaxBufferedBytes:    c.limits.MaxBufferedBytes,
	}
}
