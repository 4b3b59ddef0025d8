package conformance_test

import (
	"maps"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// requestStream builds a request stream from alice to bob: header with
// attrs, then chunks, then a trailer with reason. totalLength < 0 leaves it
// out.
func requestStream(streamID string, attrs map[string]string, totalLength int, reason string, chunks ...string) []*livekit.DataPacket {
	to := []string{"bob"}
	h := &livekit.DataStream_Header{StreamId: streamID, Topic: jsTopicRequest, MimeType: "text/plain", Attributes: attrs,
		ContentHeader: &livekit.DataStream_Header_TextHeader{TextHeader: &livekit.DataStream_TextHeader{}}}
	if totalLength >= 0 {
		n := uint64(totalLength)
		h.TotalLength = &n
	}
	pkts := []*livekit.DataPacket{{DestinationIdentities: to, Value: &livekit.DataPacket_StreamHeader{StreamHeader: h}}}
	for i, c := range chunks {
		pkts = append(pkts, &livekit.DataPacket{DestinationIdentities: to, Value: &livekit.DataPacket_StreamChunk{
			StreamChunk: &livekit.DataStream_Chunk{StreamId: streamID, ChunkIndex: uint64(i), Content: []byte(c)}}})
	}
	return append(pkts, &livekit.DataPacket{DestinationIdentities: to, Value: &livekit.DataPacket_StreamTrailer{
		StreamTrailer: &livekit.DataStream_Trailer{StreamId: streamID, Reason: reason}}})
}

func goodAttrs(id, method string) map[string]string {
	return map[string]string{jsAttrID: id, jsAttrMethod: method, jsAttrTimeout: "10000", jsAttrVersion: "2"}
}

func sendRaw(t *testing.T, p *memroom.Link, pkts []*livekit.DataPacket) {
	t.Helper()
	for _, pkt := range pkts {
		rawSend(t, p, pkt)
	}
}

// §3.3 rule 1: missing or unparsable attributes → 1500 "RPC data stream
// malformed", and no ack.
func TestV2Handler_MalformedAttributesError1500NoAck(t *testing.T) {
	for name, mutate := range map[string]func(map[string]string){
		"no id":             func(a map[string]string) { delete(a, jsAttrID) },
		"no method":         func(a map[string]string) { delete(a, jsAttrMethod) },
		"no timeout":        func(a map[string]string) { delete(a, jsAttrTimeout) },
		"no version":        func(a map[string]string) { delete(a, jsAttrVersion) },
		"timeout not a int": func(a map[string]string) { a[jsAttrTimeout] = "soon" },
		"version not a int": func(a map[string]string) { a[jsAttrVersion] = "two" },
	} {
		t.Run(name, func(t *testing.T) {
			b, alice := handlerBed(t, v2...)
			attrs := goodAttrs("r", "echo")
			mutate(attrs)
			sendRaw(t, alice, requestStream("s", attrs, 1, "", "x"))
			d := b.log.waitFor(t, "error packet", and(from("bob"), kind[respPkt]))
			e := wantErrorPacket(t, d.Packet.GetRpcResponse(), rpcerr.ApplicationError)
			if e.GetData() != "RPC data stream malformed" {
				t.Errorf("data %q", e.GetData())
			}
			if acks := b.log.where(kind[ackPkt]); len(acks) != 0 {
				t.Errorf("malformed stream acked:\n%s", describe(acks))
			}
		})
	}
}

// §3.3 rule 2: the ack goes out at header time, before the body has come.
func TestV2Handler_AckImmediatelyAtHeader(t *testing.T) {
	b, alice := handlerBed(t, v2...)
	pkts := requestStream("s", goodAttrs("r", "echo"), 5, "", "hel", "lo")
	rawSend(t, alice, pkts[0]) // the header only
	b.log.waitFor(t, "ack before the body", and(from("bob"), kind[ackPkt], forID("r")))
	sendRaw(t, alice, pkts[1:])
	// A reply this small goes back as a packet (§6).
	if got := response(t, b, "r").GetPayload(); got != "hello" {
		t.Errorf("answer %q", got)
	}
}

// §3.3 rule 3: version != 2 → 1404 (after the ack).
func TestV2Handler_BadVersionError1404(t *testing.T) {
	b, alice := handlerBed(t, v2...)
	attrs := goodAttrs("r", "echo")
	attrs[jsAttrVersion] = "3"
	sendRaw(t, alice, requestStream("s", attrs, 1, "", "x"))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.UnsupportedVersion)
	if len(b.log.where(and(from("bob"), kind[ackPkt]))) != 1 {
		t.Error("no ack")
	}
}

// §3.3 rule 3 and §3.2: a body that cannot be read (here: an aborting
// trailer) → 1500.
func TestV2Handler_BodyReadFailureError1500(t *testing.T) {
	b, alice := handlerBed(t, v2...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), -1, "caller gave up", "x"))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ApplicationError)
}

// §3.3 rule 3: unknown method → 1400, once the body has been read.
func TestV2Handler_UnknownMethodError1400(t *testing.T) {
	b, alice := handlerBed(t, v2...)
	pkts := requestStream("s", goodAttrs("r", "nope"), 1, "", "x")
	rawSend(t, alice, pkts[0])
	b.log.waitFor(t, "ack", and(from("bob"), kind[ackPkt]))
	sendRaw(t, alice, pkts[1:])
	wantErrorPacket(t, response(t, b, "r"), rpcerr.UnsupportedMethod)
}

// §3.3 rule 4: errors go back as v1 RpcResponse.error packets, even
// between two v2 peers.
func TestV2Handler_ErrorsAsV1Packets(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", v2)
	bob := b.engine("bob", v2)
	serve(t, bob, "fail", func(_ contextT, _ *transport.Request) (string, error) {
		return "", rpcerr.New(99, "no")
	})
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "fail", Payload: large})
	wantCode(t, err, 99)
	if n := len(b.log.where(and(from("bob"), kind[headerPkt]))); n != 0 {
		t.Errorf("bob answered an error with %d streams", n)
	}
	if n := len(b.log.where(and(from("bob"), kind[respPkt]))); n != 1 {
		t.Errorf("bob sent %d error packets, want 1", n)
	}
}

// §3.3 rule 4: a success to a protocol-0 caller of a stream request is a
// packet...
func TestV2Handler_SuccessToProtocol0CallerIsPacket(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), 2, "", "hi"))
	if r := response(t, b, "r"); r.GetPayload() != "hi" {
		t.Errorf("response %v", r)
	}
}

// ...subject to the 1504 rule.
func TestV2Handler_LargeSuccessToProtocol0CallerFails1504(t *testing.T) {
	b, alice := handlerBed(t, protocol0...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "big"), 1, "", "x"))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ResponsePayloadTooLarge)
}

// §3.4: the success response stream: topic lk.rpc_response, text/plain,
// only the request-id attribute.
func TestV2Handler_ResponseStreamAttributesOnlyRequestID(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), len(large), "", large[:15000], large[15000:]))
	h := b.log.waitFor(t, "response stream", and(from("bob"), topic(jsTopicResponse))).Packet.GetStreamHeader()
	if !maps.Equal(h.GetAttributes(), map[string]string{jsAttrID: "r"}) || h.GetMimeType() != "text/plain" {
		t.Errorf("response header attributes %v mime %q", h.GetAttributes(), h.GetMimeType())
	}
	if h.TotalLength == nil || h.GetTotalLength() != uint64(len(large)) || h.GetTextHeader() == nil {
		t.Errorf("total_length %v text header %v", h.TotalLength, h.GetTextHeader())
	}
}

// §3.2: a header without total_length (older livekit-client) is accepted.
func TestStreams_HeaderWithoutTotalLengthAccepted(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), -1, "", "no ", "length"))
	if r := response(t, b, "r"); r.GetPayload() != "no length" {
		t.Errorf("response %v", r)
	}
}

// §3.2: total_length, when present, must be exact; receivers error otherwise.
func TestStreams_TotalLengthMismatchRejected(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), 3, "", "four"))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ApplicationError)
}

// §3.2: chunk indices start at 0 and are contiguous; receivers error on gaps.
func TestStreams_IndexGapRejected(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	pkts := requestStream("s", goodAttrs("r", "echo"), -1, "", "a", "b", "c")
	sendRaw(t, alice, append(pkts[:2:2], pkts[3:]...)) // chunk 1 missing
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ApplicationError)
}

// §3.2: chunk content that is not valid UTF-8 as a whole is an error.
func TestStreams_InvalidUTF8Rejected(t *testing.T) {
	b, alice := handlerBed(t, protocol1...)
	sendRaw(t, alice, requestStream("s", goodAttrs("r", "echo"), 2, "", "\xff\xfe"))
	wantErrorPacket(t, response(t, b, "r"), rpcerr.ApplicationError)
}
