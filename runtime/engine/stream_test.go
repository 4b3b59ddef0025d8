package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

func requestStream(t *testing.T, streamID string, attrs map[string]string, text string, opts datastream.SendOptions) []*livekit.DataPacket {
	t.Helper()
	return streamPackets(t, "alice", datastream.Outgoing{
		StreamID: streamID, Topic: engine.TopicRequest, Timestamp: vectorTimestamp,
		Attributes: attrs, Destinations: []string{"bob"}, Text: text,
	}, opts)
}

func responseStream(t *testing.T, sender, streamID string, attrs map[string]string, text string, opts datastream.SendOptions) []*livekit.DataPacket {
	t.Helper()
	return streamPackets(t, sender, datastream.Outgoing{
		StreamID: streamID, Topic: engine.TopicResponse, Timestamp: vectorTimestamp,
		Attributes: attrs, Destinations: []string{"alice"}, Text: text,
	}, opts)
}

func TestCallV2RequestMatchesWireVectors(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolRPCv2,
		engine.WithIDs(fixedIDs(vectorRequestID, vectorStreamID)),
		engine.WithClock(func() time.Time { return time.UnixMilli(vectorTimestamp) }))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "echo", Payload: "héllo",
		Force: transport.FormStream, Timeout: 15 * time.Second})

	header := l.next(t)
	if got := header.GetStreamHeader().GetTotalLength(); got != uint64(len("héllo")) {
		t.Errorf("total_length = %d, want %d", got, len("héllo"))
	}
	// The vector comes from an older livekit-client that omits total_length.
	header.GetStreamHeader().TotalLength = nil
	sameWire(t, header, vectorPacket(t, vectorV2Header))
	sameWire(t, l.next(t), vectorPacket(t, vectorV2Chunk0))
	sameWire(t, l.next(t), vectorPacket(t, vectorV2Trailer))

	l.deliver(rpcAck("bob", vectorRequestID))
	for _, pkt := range responseStream(t, "bob", "resp-stream", map[string]string{engine.AttrRequestID: vectorRequestID}, "ok", datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	r := await(t, res)
	if r.err != nil || r.reply.Payload != "ok" {
		t.Fatalf("got %+v", r)
	}
	if r.reply.Request.Form != transport.FormStream || r.reply.Request.Packets != 3 || r.reply.Response.Form != transport.FormStream {
		t.Errorf("transfers = %+v / %+v", r.reply.Request, r.reply.Response)
	}
}

func TestServeV1RequestAnsweredWithResponseStreamMatchesVector(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolRPCv2,
		engine.WithIDs(fixedIDs(vectorStreamID)),
		engine.WithClock(func() time.Time { return time.UnixMilli(vectorTimestamp) }),
		engine.WithPacketThreshold(0))
	register(t, e, "echo", echo)
	l.deliver(rpcRequest("alice", vectorRequestID, "echo", "hi", 15000, 1))
	wantAck(t, l.next(t), "alice", vectorRequestID)
	header := l.next(t)
	header.GetStreamHeader().TotalLength = nil
	sameWire(t, header, vectorPacket(t, vectorV2RespHeader))
	if got := string(l.next(t).GetStreamChunk().GetContent()); got != "hi" {
		t.Errorf("chunk = %q", got)
	}
	if tr := l.next(t).GetStreamTrailer(); tr == nil || tr.GetReason() != "" {
		t.Errorf("want a clean trailer, got %v", tr)
	}
}

func TestServeV2RequestAcksAtHeaderTime(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	got := make(chan *transport.Request, 1)
	register(t, e, "echo", func(ctx context.Context, req *transport.Request) (string, error) {
		got <- req
		return req.Payload, nil
	})
	text := strings.Repeat("ü", 20000) // 40000 bytes: header, three chunks, trailer
	pkts := requestStream(t, "s1", requestStreamAttrs("r1", "echo", 4000, "2"), text, datastream.SendOptions{})
	l.deliver(pkts[0])
	wantAck(t, l.next(t), "alice", "r1") // before any chunk arrived
	for _, pkt := range pkts[1:] {
		l.deliver(pkt)
	}
	req := <-got
	if req.Payload != text || req.RequestID != "r1" || req.ResponseTimeout != 4*time.Second ||
		req.Transfer.Form != transport.FormStream || req.Transfer.Packets != len(pkts) {
		t.Errorf("request = caller %s id %s timeout %v transfer %+v, payload ok %v",
			req.Caller, req.RequestID, req.ResponseTimeout, req.Transfer, req.Payload == text)
	}
	// alice speaks streams v2 with deflate: a compressible reply goes compressed.
	header := l.next(t).GetStreamHeader()
	if header.GetTopic() != engine.TopicResponse || header.GetAttributes()[engine.AttrRequestID] != "r1" ||
		header.GetCompression() != livekit.DataStream_DEFLATE_RAW {
		t.Errorf("response header = %v", header)
	}
}

func TestServeV2MalformedRequestStream(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	register(t, e, "echo", echo)
	cases := map[string]map[string]string{
		"no id":           requestStreamAttrs("", "echo", 1000, "2"),
		"no method":       requestStreamAttrs("r1", "", 1000, "2"),
		"bad timeout":     {engine.AttrRequestID: "r1", engine.AttrRequestMethod: "echo", engine.AttrResponseTimeout: "soon", engine.AttrRequestVersion: "2"},
		"missing version": {engine.AttrRequestID: "r1", engine.AttrRequestMethod: "echo", engine.AttrResponseTimeout: "1000"},
	}
	for name, attrs := range cases {
		t.Run(name, func(t *testing.T) {
			for _, pkt := range requestStream(t, "s-"+name, attrs, "x", datastream.SendOptions{}) {
				l.deliver(pkt)
			}
			re := wantError(t, l.next(t), "alice", attrs[engine.AttrRequestID], rpcerr.ApplicationError) // no ack first
			if re.GetData() != "RPC data stream malformed" {
				t.Errorf("error data = %q", re.GetData())
			}
			l.nothingSent(t, 10*time.Millisecond)
		})
	}
}

func TestServeV2UnsupportedVersion(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	register(t, e, "echo", echo)
	for _, pkt := range requestStream(t, "s1", requestStreamAttrs("r1", "echo", 1000, "3"), "x", datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	wantAck(t, l.next(t), "alice", "r1")
	wantError(t, l.next(t), "alice", "r1", rpcerr.UnsupportedVersion)
	l.nothingSent(t, 10*time.Millisecond)
}

func TestServeV2BodyFailure(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	called := make(chan struct{}, 1)
	register(t, e, "echo", func(context.Context, *transport.Request) (string, error) {
		called <- struct{}{}
		return "", nil
	})
	pkts := requestStream(t, "s1", requestStreamAttrs("r1", "echo", 1000, "2"), "some text", datastream.SendOptions{})
	l.deliver(pkts[0])
	l.deliver(pkts[1])
	l.deliver(from("alice", datastream.Abort("s1", []string{"bob"}, "caller gave up")))
	wantAck(t, l.next(t), "alice", "r1")
	wantError(t, l.next(t), "alice", "r1", rpcerr.ApplicationError)
	select {
	case <-called:
		t.Error("handler ran on a failed body")
	default:
	}
}

func TestServeV2UnknownMethodAfterBody(t *testing.T) {
	checkGoroutines(t)
	l, _ := newServer(t, link.ProtocolStreamsV2)
	pkts := requestStream(t, "s1", requestStreamAttrs("r1", "nope", 1000, "2"), "x", datastream.SendOptions{})
	l.deliver(pkts[0])
	wantAck(t, l.next(t), "alice", "r1")
	l.nothingSent(t, 20*time.Millisecond) // 1400 waits for the body
	for _, pkt := range pkts[1:] {
		l.deliver(pkt)
	}
	wantError(t, l.next(t), "alice", "r1", rpcerr.UnsupportedMethod)
}

func TestServeV2InlineAndCompressedRequests(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1) // replies as packets, to keep the check short
	register(t, e, "echo", echo)
	text := strings.Repeat(`{"k":"v"},`, 1000)
	for i, opts := range []datastream.SendOptions{{Inline: true}, {Inline: true, Compress: true}, {Compress: true}} {
		id := []string{"inline", "inline-deflate", "chunked-deflate"}[i]
		payload := text
		if i == 0 {
			payload = "small"
		}
		for _, pkt := range requestStream(t, "s-"+id, requestStreamAttrs(id, "echo", 1000, "2"), payload, opts) {
			l.deliver(pkt)
		}
		wantAck(t, l.next(t), "alice", id)
		wantPayload(t, l.next(t), "alice", id, payload)
	}
}

func TestServeV2StreamFromLeavingCallerIsDropped(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolStreamsV2)
	register(t, e, "echo", echo)
	pkts := requestStream(t, "s1", requestStreamAttrs("r1", "echo", 60000, "2"), "x", datastream.SendOptions{})
	l.deliver(pkts[0])
	wantAck(t, l.next(t), "alice", "r1")
	l.leave("alice")
	l.nothingSent(t, 20*time.Millisecond)
}

func TestCallResponseStreamRules(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolStreamsV2, engine.WithIDs(fixedIDs("id-1", "s-1", "id-2", "s-2")))
	res := goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Payload: "q"})
	l.next(t) // inline request
	l.deliver(rpcAck("bob", "id-1"))

	// No request id: dropped. From carol: ignored. Then the real one, compressed.
	for _, pkt := range responseStream(t, "bob", "x1", map[string]string{}, "no id", datastream.SendOptions{Inline: true}) {
		l.deliver(pkt)
	}
	for _, pkt := range responseStream(t, "carol", "x2", map[string]string{engine.AttrRequestID: "id-1"}, "spoof", datastream.SendOptions{Inline: true}) {
		l.deliver(pkt)
	}
	l.sync()
	stillRunning(t, res, 10*time.Millisecond)
	big := strings.Repeat(`{"field":"value"},`, 5000)
	for _, pkt := range responseStream(t, "bob", "x3", map[string]string{engine.AttrRequestID: "id-1"}, big,
		datastream.SendOptions{Compress: true}) {
		l.deliver(pkt)
	}
	r := await(t, res)
	if r.err != nil || r.reply.Payload != big {
		t.Fatalf("call failed or payload differs: %v", r.err)
	}
	if r.reply.Request.Form != transport.FormInline || !r.reply.Response.Compressed {
		t.Errorf("transfers = %+v / %+v", r.reply.Request, r.reply.Response)
	}

	// A response stream that fails fails the call with 1500.
	res = goCall(context.Background(), e, transport.Call{Destination: "bob", Method: "m", Payload: "q"})
	l.next(t)
	pkts := responseStream(t, "bob", "x4", map[string]string{engine.AttrRequestID: "id-2"}, "partial", datastream.SendOptions{})
	l.deliver(pkts[0])
	l.deliver(from("bob", datastream.Abort("x4", []string{"alice"}, "handler crashed")))
	wantCode(t, await(t, res).err, rpcerr.ApplicationError)
}

// A call cancelled while its request stream is uploading ends promptly and
// the stream is closed with an aborting trailer.
func TestCallCancelledMidUploadAbortsStream(t *testing.T) {
	checkGoroutines(t)
	l, e := newCaller(t, link.ProtocolRPCv2, engine.WithIDs(fixedIDs("id-1", "s-1")))
	l.setHook(func(ctx context.Context, pkt *livekit.DataPacket) error {
		if pkt.GetStreamChunk().GetChunkIndex() == 1 {
			<-ctx.Done() // the link's buffer is full until the call ends
			return ctx.Err()
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	res := goCall(ctx, e, transport.Call{Destination: "bob", Method: "m", Payload: strings.Repeat("x", 100000)})
	if l.next(t).GetStreamHeader() == nil || l.next(t).GetStreamChunk().GetChunkIndex() != 0 {
		t.Fatal("want header and chunk 0 first")
	}
	cancel()
	if r := await(t, res); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", r.err)
	}
	tr := l.next(t).GetStreamTrailer()
	if tr == nil || tr.GetStreamId() != "s-1" || tr.GetReason() == "" {
		t.Fatalf("want an aborting trailer for s-1, got %v", tr)
	}
}

// The caller's response timer starts after its upload, so the handler's
// deadline runs from when the body is complete, not from the header.
func TestServeV2DeadlineRunsFromBodyCompletion(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1)
	left := make(chan time.Duration, 1)
	register(t, e, "m", func(ctx context.Context, _ *transport.Request) (string, error) {
		dl, _ := ctx.Deadline()
		left <- time.Until(dl)
		return "", nil
	})
	pkts := requestStream(t, "s1", requestStreamAttrs("r1", "m", 200, "2"), "x", datastream.SendOptions{})
	l.deliver(pkts[0])
	wantAck(t, l.next(t), "alice", "r1")
	time.Sleep(250 * time.Millisecond) // a slow upload, longer than the timeout
	for _, pkt := range pkts[1:] {
		l.deliver(pkt)
	}
	if d := <-left; d < 100*time.Millisecond {
		t.Errorf("handler had %v left; its deadline ran from the header", d)
	}
	l.next(t)
}

func TestServeV2PayloadLimit(t *testing.T) {
	checkGoroutines(t)
	l, e := newServer(t, link.ProtocolV1, engine.WithInboundLimits(engine.InboundLimits{MaxPayloadBytes: 1000}))
	register(t, e, "echo", echo)
	for _, pkt := range requestStream(t, "s1", requestStreamAttrs("r1", "echo", 1000, "2"), strings.Repeat("x", 1001), datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	wantAck(t, l.next(t), "alice", "r1")
	wantError(t, l.next(t), "alice", "r1", rpcerr.ApplicationError)
	for _, pkt := range requestStream(t, "s2", requestStreamAttrs("r2", "echo", 1000, "2"), strings.Repeat("x", 1000), datastream.SendOptions{}) {
		l.deliver(pkt)
	}
	wantAck(t, l.next(t), "alice", "r2")
	wantPayload(t, l.next(t), "alice", "r2", strings.Repeat("x", 1000))
}
