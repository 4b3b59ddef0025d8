package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// packetMaxSizes are the request sizes row 7 sends to a protocol-1 peer
// both ways; 15360 is the largest a v1 packet may carry.
var packetMaxSizes = []int{1 << 10, 2 << 10, 4 << 10, 8 << 10, 12 << 10, engine.MaxPacketPayload}

// compressMinSizes are the JSON request sizes row 7 sends compressed and not.
var compressMinSizes = []int{64, 128, 256, 512, 1 << 10, 2 << 10, 4 << 10, 8 << 10, 12 << 10}

// neverCompress is a CompressMin no payload of row 7 reaches.
const neverCompress = 1 << 30

// thresholds is row 7: the figures behind WithPacketThreshold and WithCompressMin.
// Every request is answered "ok", so only the request's form differs.
func thresholds(ctx context.Context, b *bench) ([]Row, error) {
	packetRows, err := packetMaxFigures(ctx, b)
	if err != nil {
		return nil, err
	}
	compressRows, err := compressMinFigures(ctx, b)
	return append(packetRows, compressRows...), err
}

func okHandler(context.Context, *transport.Request) (string, error) { return "ok", nil }

// packetMaxFigures: a v1 RpcRequest packet against a plain v2 request
// stream (header, chunk, trailer) to a peer advertising client protocol 1,
// through the server, alternating.
func packetMaxFigures(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("packetmax")
	defer s.close()
	cl, caller, err := s.link(ctx, "pm-caller", nil)
	if err != nil {
		return nil, err
	}
	al, agent, err := s.link(ctx, "pm-agent", []rtc.Option{rtc.WithClientProtocol(link.ProtocolRPCv2), rtc.WithCapabilities()})
	if err != nil {
		return nil, err
	}
	if _, err := agent.Register(echoMethod, okHandler); err != nil {
		return nil, err
	}
	if err := meet(ctx, map[string]*rtc.Link{"pm-caller": cl, "pm-agent": al}); err != nil {
		return nil, err
	}
	var table strings.Builder
	table.WriteString("Row 7, WithPacketThreshold — request to a client-protocol-1 peer through the server, median round trip (reply \"ok\"):\n\n" +
		"| size | v1 packet | v2 stream (3 packets) | stream ÷ packet |\n|---|---|---|---|\n")
	// Per size stream ÷ packet; their geometric mean is the figure (one
	// size's median can jump under load), the minimum is reported too.
	var gains []float64
	slowestGain, slowestSize := 0.0, 0
	warm, n := 3, b.count(40, 10)
	for _, size := range packetMaxSizes {
		payload := randtext.New(size, uint64(size))
		var asPacket, asStream samples
		for i := range warm + n {
			for _, route := range []transport.Form{transport.FormPacket, transport.FormStream} {
				t0 := time.Now()
				rep, err := caller.Call(ctx, transport.Call{Destination: "pm-agent", Method: echoMethod, Payload: payload, Force: route, Timeout: 10 * time.Second})
				d := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%d B as %v: %w", size, route, err)
				}
				if want := map[transport.Form]transport.Form{transport.FormPacket: transport.FormPacket, transport.FormStream: transport.FormStream}[route]; rep.Request.Form != want {
					return nil, fmt.Errorf("%d B as %v travelled as %v", size, route, rep.Request)
				}
				if i < warm {
					continue
				}
				if route == transport.FormPacket {
					asPacket = append(asPacket, d)
				} else {
					asStream = append(asStream, d)
				}
			}
		}
		r := ratio(asStream.median(), asPacket.median())
		gains = append(gains, r)
		if slowestGain == 0 || r < slowestGain {
			slowestGain, slowestSize = r, size
		}
		fmt.Fprintf(&table, "| %d B | %s | %s | %.2f× |\n", size, ms(asPacket.median()), ms(asStream.median()), r)
	}
	mean := geomean(gains)
	b.note("%s\nThe default, %d (every payload a packet can carry goes as a packet), holds while a stream is not faster than a packet: "+
		"stream ÷ packet is %.2f× as a geometric mean over the sizes, %.2f× at its lowest (%d B); medians of %d on a shared machine.",
		table.String(), engine.DefaultPacketThreshold, mean, slowestGain, slowestSize, n)
	return []Row{{
		ID:     "7a",
		Figure: fmt.Sprintf("`WithPacketThreshold` default %d: to a protocol-1 peer at 1–15 KiB a v2 stream takes %.2f× a v1 packet's round trip (geometric mean; lowest %.2f× at %d B)", engine.DefaultPacketThreshold, mean, slowestGain, slowestSize),
		Ratio:  mean, Target: "≥ 1.00× (packet no slower)", Status: verdict(mean >= 1),
	}}, nil
}

// compressMinFigures: small JSON requests compressed (CompressMin 1) or
// never, between peers that accept raw DEFLATE: the CPU cost in process
// (two engines on memroom, so the network does not hide it), the bytes,
// and the round trip through the server.
func compressMinFigures(ctx context.Context, b *bench) ([]Row, error) {
	s := b.newScene("compressmin")
	defer s.close()
	links := map[string]*rtc.Link{}
	callers := map[bool]*engine.Engine{}
	for _, compress := range []bool{true, false} {
		min := neverCompress
		if compress {
			min = 1
		}
		id := fmt.Sprintf("cm-caller-%v", compress)
		l, eng, err := s.link(ctx, id, nil, engine.WithCompressMin(min))
		if err != nil {
			return nil, err
		}
		links[id], callers[compress] = l, eng
	}
	al, agent, err := s.link(ctx, "cm-agent", nil)
	if err != nil {
		return nil, err
	}
	links["cm-agent"] = al
	if _, err := agent.Register(echoMethod, okHandler); err != nil {
		return nil, err
	}
	if err := meet(ctx, links); err != nil {
		return nil, err
	}
	local, closeLocal, err := memroomCallers()
	if err != nil {
		return nil, err
	}
	defer closeLocal()

	var table strings.Builder
	table.WriteString("Row 7, WithCompressMin — a typical-JSON request to a peer accepting raw DEFLATE, compressed or not " +
		"(plain: a v1 packet; deflate: a single-packet stream; reply \"ok\"): wire bytes, in-process round trip on memroom (CPU cost), round trip through the server:\n\n" +
		"| size | wire plain → deflate | in process plain / deflate | server plain / deflate |\n|---|---|---|---|\n")
	// above and below: compressed ÷ plain round trip per size, at or above
	// the default and below it. Their geometric means are the figure: one
	// size's median moves by 10–20 % run to run on a shared machine.
	var above, below []float64
	warm, n := 3, b.count(60, 10)
	localN := b.count(400, 50)
	for _, size := range compressMinSizes {
		payload := typicalJSON(size, uint64(size))[:size] // cut: the payload is opaque to the engine
		wire := map[bool]int{}
		server := map[bool]samples{}
		for i := range warm + n {
			for _, compress := range []bool{false, true} {
				t0 := time.Now()
				rep, err := callers[compress].Call(ctx, transport.Call{Destination: "cm-agent", Method: echoMethod, Payload: payload, Timeout: 10 * time.Second})
				d := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%d B compress=%v: %w", size, compress, err)
				}
				wire[compress] = rep.Request.WireBytes
				if i >= warm {
					server[compress] = append(server[compress], d)
				}
			}
		}
		inProc := map[bool]time.Duration{}
		for _, compress := range []bool{false, true, false, true} { // twice each, keep the faster
			d, err := timeCalls(ctx, local[compress], payload, localN)
			if err != nil {
				return nil, err
			}
			if inProc[compress] == 0 || d < inProc[compress] {
				inProc[compress] = d
			}
		}
		if r := ratio(server[true].median(), server[false].median()); size >= datastream.DefaultCompressMin {
			above = append(above, r)
		} else {
			below = append(below, r)
		}
		fmt.Fprintf(&table, "| %d B | %d → %d | %.1f / %.1f µs | %s / %s |\n", size, wire[false], wire[true],
			float64(inProc[false])/1e3, float64(inProc[true])/1e3, ms(server[false].median()), ms(server[true].median()))
	}
	costAbove, costBelow := geomean(above), geomean(below)
	b.note("%s\nOn loopback the bytes saved are invisible in the round trip, so only compression's cost shows there; on a real "+
		"network the saved bytes pay. Compressed ÷ plain round trip, geometric mean: %.2f× below the default (%d B), %.2f× from it up.",
		table.String(), costBelow, datastream.DefaultCompressMin, costAbove)
	return []Row{{
		ID: "7b",
		Figure: fmt.Sprintf("`WithCompressMin` default %d B: from it up to 12 KiB a compressed small call takes %.2f× the plain one's round trip (geometric mean; %.2f× below it)",
			datastream.DefaultCompressMin, costAbove, costBelow),
		Ratio: costAbove, Target: "≤ 1.05× from the default up", Status: verdict(costAbove <= 1.05),
	}}, nil
}

// geomean is the geometric mean of xs (0 when empty).
func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}

// memroomCallers returns two callers on memroom, one compressing every
// payload and one never, and an agent answering echoMethod with "ok".
func memroomCallers() (map[bool]*engine.Engine, func(), error) {
	room, err := memroom.New()
	if err != nil {
		return nil, nil, err
	}
	var engines []*engine.Engine
	closeAll := func() {
		for _, e := range engines {
			_ = e.Close()
		}
		room.Close()
	}
	out := map[bool]*engine.Engine{}
	for _, id := range []string{"agent", "deflate", "plain"} {
		p, err := room.Join(id)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		var opts []engine.Option
		switch id {
		case "deflate":
			opts = append(opts, engine.WithCompressMin(1))
		case "plain":
			opts = append(opts, engine.WithCompressMin(neverCompress))
		}
		e, err := engine.New(p, opts...)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		engines = append(engines, e)
		switch id {
		case "agent":
			if _, err := e.Register(echoMethod, okHandler); err != nil {
				closeAll()
				return nil, nil, err
			}
		case "deflate":
			out[true] = e
		case "plain":
			out[false] = e
		}
	}
	return out, closeAll, nil
}

// timeCalls makes n calls of payload to "agent" and returns the mean time.
func timeCalls(ctx context.Context, caller *engine.Engine, payload string, n int) (time.Duration, error) {
	t0 := time.Now()
	for range n {
		if _, err := caller.Call(ctx, transport.Call{Destination: "agent", Method: echoMethod, Payload: payload}); err != nil {
			return 0, err
		}
	}
	return time.Since(t0) / time.Duration(n), nil
}
