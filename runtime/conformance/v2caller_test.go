package conformance_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// large is a payload too big for one v1 packet.
var large = strings.Repeat("abcdefghij", 2000)

// §3.2: the request stream's header, field by field.
func TestV2Caller_RequestStreamHeader(t *testing.T) {
	b := newBed(t)
	now := time.UnixMilli(1760000000000)
	alice := b.engine("alice", v2, engine.WithClock(func() time.Time { return now }))
	bob := b.jsPeer("bob", js219)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return "ok", nil })

	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: large, Timeout: 9 * time.Second})
	d := b.log.waitFor(t, "request header", topic(jsTopicRequest))
	h := d.Packet.GetStreamHeader()
	id := h.GetAttributes()[jsAttrID]
	for _, s := range []string{h.GetStreamId(), id} {
		if u, err := uuid.Parse(s); err != nil || u.Version() != 4 {
			t.Errorf("%q is not a UUIDv4", s)
		}
	}
	if h.GetStreamId() == id {
		t.Error("stream id equals request id")
	}
	want := map[string]string{jsAttrID: id, jsAttrMethod: "echo", jsAttrTimeout: "9000", jsAttrVersion: "2"}
	if !maps.Equal(h.GetAttributes(), want) {
		t.Errorf("attributes %v, want %v", h.GetAttributes(), want)
	}
	if h.GetTimestamp() != now.UnixMilli() || h.GetMimeType() != "text/plain" || h.TotalLength == nil ||
		h.GetTotalLength() != uint64(len(large)) {
		t.Errorf("timestamp %d mime %q total_length %v", h.GetTimestamp(), h.GetMimeType(), h.TotalLength)
	}
	if th := h.GetTextHeader(); th == nil || th.GetOperationType() != livekit.DataStream_CREATE {
		t.Errorf("text header %v, want present with CREATE", h.GetContentHeader())
	}
	if len(h.GetInlineContent()) != 0 || h.GetCompression() != livekit.DataStream_NONE {
		t.Error("inline or compressed stream to a protocol-1 peer")
	}
}

// §3.2: header, chunks and trailer all go to [handler] on the reliable channel.
func TestStreams_AllPacketsCarryDestination(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.engine("bob", protocol1)
	serve(t, bob, "echo", echo)
	b.raw("carol")
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: large})
	for _, d := range b.log.where(kind[headerPkt]) {
		want := d.To // the stream's recipient
		if len(want) != 1 {
			t.Fatalf("stream routed to %v", want)
		}
	}
	for _, d := range b.log.where(func(d memroom.Delivery) bool {
		return kind[headerPkt](d) || kind[chunkPkt](d) || kind[trailerPkt](d)
	}) {
		other := map[string]string{"alice": "bob", "bob": "alice"}[d.From]
		if !slices.Equal(d.Packet.GetDestinationIdentities(), []string{other}) || d.Packet.GetKind() != livekit.DataPacket_RELIABLE {
			t.Errorf("%s from %s addressed to %v (%v)", summary(d.Packet), d.From, d.Packet.GetDestinationIdentities(), d.Packet.GetKind())
		}
	}
}

// §3.1: to a protocol-1 peer, a large request takes a stream...
func TestV2Caller_LargeRequestToProtocol1IsStream(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js219)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return strconv.Itoa(len(r.Payload)), nil })
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: large})
	if r.Request.Form != transport.FormStream || r.Payload != strconv.Itoa(len(large)) {
		t.Errorf("request went as %v, answer %q", r.Request, r.Payload)
	}
}

// ...while a small one may take one v1 packet, whose answer then comes as a
// response stream (2.19 answers that way), which the caller accepts.
func TestV2Caller_AcceptsStreamResponseToPacketRequest(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js219)
	bob.handle("echo", func(r jsRequest) (string, *lkErr) { return "streamed " + r.Payload, nil })
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"}) // a stream: §6's first request
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
	if r.Request.Form != transport.FormPacket || r.Response.Form != transport.FormStream || r.Payload != "streamed hi" {
		t.Errorf("request %v, response %v, payload %q", r.Request, r.Response, r.Payload)
	}
}

// §6: small payloads go to v2 peers as packets, but the first request to
// each one is a stream, which tells it that the caller speaks v2 even when
// the room has not yet (§7).
func TestV2Caller_FirstRequestToEachPeerIsStream(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	for _, c := range []struct {
		peer string
		join []memroom.JoinOption
		want []transport.Form
	}{
		{"bob", v2, []transport.Form{transport.FormInline, transport.FormPacket, transport.FormPacket}},
		{"carol", protocol1, []transport.Form{transport.FormStream, transport.FormPacket}},
	} {
		serve(t, b.engine(c.peer, c.join), "echo", echo)
		var got []transport.Form
		for range c.want {
			got = append(got, mustCall(t, alice, transport.Call{Destination: c.peer, Method: "echo", Payload: "hi"}).Request.Form)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("requests to %s went as %v, want %v", c.peer, got, c.want)
		}
	}
}

// §3.5: acks and error responses of v2 calls are v1 packets matched by id.
func TestV2Caller_AckAndErrorArriveAsPackets(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js223)
	bob.handle("fail", func(jsRequest) (string, *lkErr) { return "", &lkErr{Code: 77, Message: "nope"} })
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "fail", Payload: large})
	if e := wantCode(t, err, 77); e.Message != "nope" {
		t.Errorf("message %q", e.Message)
	}
	if len(b.log.where(and(from("bob"), kind[ackPkt]))) != 1 || len(b.log.where(and(from("bob"), kind[respPkt]))) != 1 {
		t.Errorf("want one ack and one error packet from bob:\n%s", describe(b.log.all()))
	}
}

// respondingBed is alice (engine) calling bob (scripted 2.23), whose handler
// runs script before answering "real".
func respondingBed(t *testing.T, script func(b *bed, bob *jsPeer, req jsRequest)) (*bed, *engine.Engine) {
	t.Helper()
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js223)
	bob.handle("m", func(r jsRequest) (string, *lkErr) {
		script(b, bob, r)
		return "real", nil
	})
	return b, alice
}

// responseStream builds a complete plain response stream.
func responseStream(dest string, attrs map[string]string, reason string, chunks ...string) []*livekit.DataPacket {
	id := uuid.NewString()
	to := []string{dest}
	pkts := []*livekit.DataPacket{{DestinationIdentities: to, Value: &livekit.DataPacket_StreamHeader{
		StreamHeader: &livekit.DataStream_Header{StreamId: id, Topic: jsTopicResponse, MimeType: "text/plain",
			Attributes: attrs, ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{}}}}}}
	for i, c := range chunks {
		pkts = append(pkts, &livekit.DataPacket{DestinationIdentities: to, Value: &livekit.DataPacket_StreamChunk{
			StreamChunk: &livekit.DataStream_Chunk{StreamId: id, ChunkIndex: uint64(i), Content: []byte(c)}}})
	}
	return append(pkts, &livekit.DataPacket{DestinationIdentities: to, Value: &livekit.DataPacket_StreamTrailer{
		StreamTrailer: &livekit.DataStream_Trailer{StreamId: id, Reason: reason}}})
}

func sendAll(p *jsPeer, pkts []*livekit.DataPacket) {
	for _, pkt := range pkts {
		p.send(pkt)
	}
}

// §3.5: a response stream without a request id is dropped.
func TestCaller_ResponseStreamWithoutRequestIDDropped(t *testing.T) {
	_, alice := respondingBed(t, func(_ *bed, bob *jsPeer, r jsRequest) {
		sendAll(bob, responseStream("alice", nil, "", "forged"))
	})
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: "x"}); r.Payload != "real" {
		t.Errorf("payload %q, want the real answer", r.Payload)
	}
}

// §3.5: a response stream for a pending call from anyone but the called
// participant is ignored.
func TestCaller_ResponseStreamFromThirdParticipantIgnored(t *testing.T) {
	var mallory *jsPeer
	b, alice := respondingBed(t, func(b *bed, _ *jsPeer, r jsRequest) {
		sendAll(mallory, responseStream("alice", map[string]string{jsAttrID: r.ID}, "", "spoofed"))
		mallory.send(jsErrorPacket("alice", r.ID, 1500, "spoofed error")) // same for packets
		b.log.waitFor(t, "mallory's error", and(from("mallory"), kind[respPkt]))
	})
	mallory = b.jsPeer("mallory", js223)
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: "x"}); r.Payload != "real" {
		t.Errorf("payload %q, want bob's answer, not mallory's", r.Payload)
	}
}

// §3.5: a response stream that fails to read fails the call with 1500.
func TestCaller_ResponseStreamReadErrorFails1500(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.jsPeer("bob", js223)
	bob.handle("m", func(r jsRequest) (string, *lkErr) {
		sendAll(bob, responseStream("alice", map[string]string{jsAttrID: r.ID}, "writer gave up", "part"))
		return "", jsSilent
	})
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: "x"})
	wantCode(t, err, rpcerr.ApplicationError)
}

// §3.5: a response stream for an unknown request id is dropped.
func TestCaller_UnknownResponseStreamDropped(t *testing.T) {
	_, alice := respondingBed(t, func(_ *bed, bob *jsPeer, r jsRequest) {
		sendAll(bob, responseStream("alice", map[string]string{jsAttrID: "unknown"}, "", "stray"))
	})
	if r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "m", Payload: "x"}); r.Payload != "real" {
		t.Errorf("payload %q", r.Payload)
	}
}

// §3.1/§3.3: a caller may use a stream to anyone, and a handler accepts
// streams whoever sends them (here a participant advertising protocol 0).
func TestV2Handler_AcceptsStreamFromAnyCaller(t *testing.T) {
	b := newBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)
	alice := b.engine("alice", protocol0)
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi", Force: transport.FormStream})
	if r.Request.Form == transport.FormPacket || r.Payload != "hi" {
		t.Errorf("request %v payload %q", r.Request, r.Payload)
	}
}
