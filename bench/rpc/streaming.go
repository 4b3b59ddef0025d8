package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Row 8's methods: the handler answers a unary call with one message and a
// stream with many, each message the same size.
const (
	streamMethod = "bench.stream"
	unaryMethod  = "bench.message"
)

// stampWidth is the send time's width at the head of every message (unix
// ns, zero-padded), so the receiver can time each message's way from the
// handler's send to its own Recv: both engines run in this process, on one
// clock.
const stampWidth = 20

// stamped returns a message of body's size whose head is the time now.
func stamped(body string) string {
	ns := strconv.FormatInt(time.Now().UnixNano(), 10)
	return strings.Repeat("0", stampWidth-len(ns)) + ns + body[stampWidth:]
}

// sentAt reads a stamped message's send time.
func sentAt(msg string) (time.Time, error) {
	if len(msg) < stampWidth {
		return time.Time{}, fmt.Errorf("message of %d bytes has no time stamp", len(msg))
	}
	ns, err := strconv.ParseInt(msg[:stampWidth], 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns), nil
}

// streaming is row 8: messages of one size delivered by a server stream
// (engine CallStream; one request, then every message sent as soon as the
// credit allows) against the same messages fetched one unary call each
// (engine Call, sequential), Go↔Go through the server, alternating rounds.
// Per message, the stream's latency is from the handler's send to the
// caller's Recv; a unary message's is its call's round trip, which is what
// a caller waits for each message it asks for.
func streaming(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("streaming")
	defer s.close()
	callerLink, caller, err := s.link(ctx, "st-caller", nil)
	if err != nil {
		return nil, err
	}
	agentLink, handler, err := s.link(ctx, "st-agent", nil)
	if err != nil {
		return nil, err
	}
	if err := meet(ctx, map[string]*rtc.Link{"st-caller": callerLink, "st-agent": agentLink}); err != nil {
		return nil, err
	}
	var rows []Row
	for _, c := range []struct {
		id   string
		size int
	}{{"8a", 100}, {"8b", 10 << 10}} {
		body := randtext.New(c.size, uint64(c.size))
		perStream := b.count(200, 50)
		unregisterUnary, err := handler.Register(unaryMethod, func(context.Context, *transport.Request) (string, error) {
			return stamped(body), nil
		})
		if err != nil {
			return nil, err
		}
		unregister, err := handler.RegisterStream(streamMethod, func(ctx context.Context, req *transport.Request, send func(string) error) error {
			for i := range perStream {
				if req.Payload == pacedRequest && i > 0 {
					time.Sleep(pace)
				}
				if err := send(stamped(body)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			unregisterUnary()
			return nil, err
		}
		var streamLat, floodLat, unaryLat samples
		var streamTime, unaryTime time.Duration
		rounds := b.count(5, 2)
		for round := range rounds + 1 { // round 0 warms up
			t0 := time.Now()
			flood, err := streamRound(ctx, caller, "{}", perStream, c.size)
			d := time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("stream of %d-byte messages: %w", c.size, err)
			}
			lat, err := streamRound(ctx, caller, pacedRequest, perStream, c.size)
			if err != nil {
				return nil, fmt.Errorf("paced stream of %d-byte messages: %w", c.size, err)
			}
			t1 := time.Now()
			var ulat samples
			for range perStream {
				u0 := time.Now()
				rep, err := caller.Call(ctx, transport.Call{Destination: "st-agent", Method: unaryMethod, Payload: "{}", Timeout: 10 * time.Second})
				if err != nil {
					return nil, fmt.Errorf("unary %d-byte message: %w", c.size, err)
				}
				if len(rep.Payload) != c.size {
					return nil, fmt.Errorf("unary message of %d bytes, want %d", len(rep.Payload), c.size)
				}
				ulat = append(ulat, time.Since(u0))
			}
			du := time.Since(t1)
			if round > 0 {
				streamLat, floodLat, unaryLat = append(streamLat, lat...), append(floodLat, flood...), append(unaryLat, ulat...)
				streamTime, unaryTime = streamTime+d, unaryTime+du
			}
		}
		unregister()
		unregisterUnary()
		n := float64(rounds * perStream)
		streamRate, unaryRate := n/streamTime.Seconds(), n/unaryTime.Seconds()
		r := streamRate / unaryRate
		rows = append(rows, Row{
			ID: c.id,
			Figure: fmt.Sprintf("server stream of %s messages Go↔Go: %.0f messages/s; per message (handler's send → caller's Recv) %s "+
				"at one message per %v (%s when flooding, queueing included)",
				byteSize(c.size), streamRate, streamLat, pace, floodLat),
			Baseline: fmt.Sprintf("one unary call per message, same size, sequential: %.0f messages/s; per message (call round trip) %s",
				unaryRate, unaryLat),
			Ratio: r, Target: "– (messages/s, stream ÷ unary)", Status: "–",
		})
	}
	b.note("Row 8: engine CallStream/RegisterStream (PROTOCOL.md §8; default window) against engine Call/Register on the same two "+
		"participant links through the server; %d messages per stream, rounds alternating. Messages/s: the handler sends every "+
		"message as soon as the caller's credit allows, against sequential unary calls. Every message starts with its send time "+
		"(both engines run in this process), so a stream message's latency is one way, handler to caller; it is shown for a "+
		"stream paced at one message per %v (the transport's own latency) and for the flooding one (which adds the queue).",
		b.count(200, 50), pace)
	return rows, nil
}

// pacedRequest asks the stream handler to wait pace between messages.
const (
	pacedRequest = "paced"
	pace         = 5 * time.Millisecond
)

// streamRound receives one stream of n messages and returns each one's
// latency.
func streamRound(ctx context.Context, caller transport.Streamer, request string, n, size int) (samples, error) {
	st, err := caller.CallStream(ctx, transport.StreamCall{Destination: "st-agent", Method: streamMethod, Payload: request})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var lat samples
	for {
		msg, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		at, err := sentAt(msg)
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(at))
		if len(msg) != size {
			return nil, fmt.Errorf("message of %d bytes, want %d", len(msg), size)
		}
	}
	if len(lat) != n {
		return nil, fmt.Errorf("%d messages, want %d", len(lat), n)
	}
	return lat, nil
}

// byteSize names a message size in bytes or KiB.
func byteSize(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
