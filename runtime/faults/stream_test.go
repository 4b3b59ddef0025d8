package faults_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/internal/randtext"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const streamChunks = 20 // chunks of the streams the chunk faults break

// chunkFault has alice call bob with a request (topic TopicRequest) or a
// response (TopicResponse) of streamChunks chunks, which fault breaks, and
// checks that the call ends promptly with 1500 saying why.
func chunkFault(t *testing.T, topic string, fault memroom.FaultFunc, why string) {
	t.Helper()
	v := newEnv(t)
	v.room.SetFault(fault)
	bob := v.join("bob", plain())
	alice := v.join("alice", plain())
	big := randtext.New(streamChunks*chunkBytes, 1)
	request, response := "small", big
	if topic == engine.TopicRequest {
		request, response = big, "small"
	}
	var ran counter
	serve(t, bob, "faults.Stream", ran.wrap(func(context.Context, *transport.Request) (string, error) { return response, nil }))
	r := v.start(alice, transport.Call{Destination: "bob", Method: "faults.Stream", Payload: request})
	e := r.wantCode(t, rpcerr.ApplicationError, 0, promptBound)
	if text := e.Message + " " + e.Data; !strings.Contains(text, why) {
		t.Errorf("error %q / %q does not say %q", e.Message, e.Data, why)
	}
	closeWithin(t, bob.Engine)
	if topic == engine.TopicRequest {
		ran.want(t, 0) // a broken request never reaches the handler
	} else {
		ran.want(t, 1)
	}
}

func TestRequestChunkGap(t *testing.T) {
	chunkFault(t, engine.TopicRequest, memroom.DropWhere(chunkOf(engine.TopicRequest, 3)), "chunk index 4, expected 3")
}

func TestResponseChunkGap(t *testing.T) {
	chunkFault(t, engine.TopicResponse, memroom.DropWhere(chunkOf(engine.TopicResponse, 3)), "chunk index 4, expected 3")
}

func TestRequestChunkDuplicate(t *testing.T) {
	chunkFault(t, engine.TopicRequest, memroom.DuplicateWhere(chunkOf(engine.TopicRequest, 3)), "chunk index 3, expected 4")
}

func TestResponseChunkDuplicate(t *testing.T) {
	chunkFault(t, engine.TopicResponse, memroom.DuplicateWhere(chunkOf(engine.TopicResponse, 3)), "chunk index 3, expected 4")
}

func TestRequestChunkReorder(t *testing.T) {
	chunkFault(t, engine.TopicRequest, memroom.ReorderWhere(chunkOf(engine.TopicRequest, 3)), "chunk index 4, expected 3")
}

func TestResponseChunkReorder(t *testing.T) {
	chunkFault(t, engine.TopicResponse, memroom.ReorderWhere(chunkOf(engine.TopicResponse, 3)), "chunk index 4, expected 3")
}

// badStream is one malformed stream a scripted peer sends.
type badStream struct {
	content []byte
	total   *uint64 // total_length; nil: absent
	reason  string  // trailer reason
	why     string  // what the error must say
}

var (
	invalidUTF8 = badStream{
		content: append([]byte(strings.Repeat("é", 1500)), 0xff, 0xfe, 'x'),
		total:   lengthOf(3003),
		why:     "not valid UTF-8",
	}
	totalTooShort = badStream{content: []byte(randtext.New(3000, 1)), total: lengthOf(10), why: "more than total_length 10"}
	totalTooLong  = badStream{content: []byte(randtext.New(3000, 1)), total: lengthOf(5000), why: "3000 bytes, total_length 5000"}
	abortedStream = badStream{content: []byte(randtext.New(3000, 1)), total: lengthOf(3000), reason: "cancelled by the user", why: "aborted: cancelled by the user"}
)

// badRequest has scripted mallory send bob a request stream built from b,
// and checks that bob acks it, answers exactly once with 1500 saying why,
// and never runs the handler.
func badRequest(t *testing.T, b badStream) {
	t.Helper()
	v := newEnv(t)
	bob := v.join("bob", nil)
	var ran counter
	serve(t, bob, "faults.Echo", ran.wrap(echo))
	mallory := v.scripted("mallory")
	const id = "bad-request"
	mallory.send(t, streamPackets("bob", "s1", engine.TopicRequest, requestAttrs(id, "faults.Echo"), b.total, b.content, chunkBytes, b.reason)...)

	mallory.next(t, promptBound, "ack", ackFor(id))
	resp := mallory.next(t, promptBound, "response", responseFor(id))
	re := errorOf(resp)
	if re.GetCode() != rpcerr.ApplicationError || !strings.Contains(re.GetData(), b.why) {
		t.Fatalf("response %v; want 1500 saying %q", resp.GetRpcResponse(), b.why)
	}
	t.Logf("answered %d %q data %q", re.GetCode(), re.GetMessage(), re.GetData())
	closeWithin(t, bob.Engine)
	mallory.flush(t, bob.link)
	if n := mallory.count(responseFor(id)); n != 1 {
		t.Errorf("%d responses for the request, want exactly 1", n)
	}
	ran.want(t, 0)
}

// badResponse has alice call scripted carol, which acks and answers with a
// response stream built from b; the call must end promptly with 1500 saying
// why.
func badResponse(t *testing.T, b badStream, aliceOpts ...engine.Option) {
	t.Helper()
	v := newEnv(t)
	carol := v.scripted("carol", plain()...)
	alice := v.join("alice", nil, aliceOpts...)
	r := v.start(alice, transport.Call{Destination: "carol", Method: "faults.Echo", Payload: "hi"})
	h := carol.next(t, promptBound, "request", requestHeader).GetStreamHeader()
	id := h.GetAttributes()[engine.AttrRequestID]
	carol.send(t, ack("alice", id))
	carol.send(t, streamPackets("alice", "r1", engine.TopicResponse, map[string]string{engine.AttrRequestID: id},
		b.total, b.content, chunkBytes, b.reason)...)
	e := r.wantCode(t, rpcerr.ApplicationError, 0, promptBound)
	if !strings.Contains(e.Message, b.why) {
		t.Errorf("error %q does not say %q", e.Message, b.why)
	}
}

func TestRequestStreamInvalidUTF8(t *testing.T)  { badRequest(t, invalidUTF8) }
func TestResponseStreamInvalidUTF8(t *testing.T) { badResponse(t, invalidUTF8) }
func TestRequestTotalLengthTooShort(t *testing.T) {
	badRequest(t, totalTooShort)
}
func TestResponseTotalLengthTooShort(t *testing.T) { badResponse(t, totalTooShort) }
func TestRequestTotalLengthTooLong(t *testing.T)   { badRequest(t, totalTooLong) }
func TestResponseTotalLengthTooLong(t *testing.T)  { badResponse(t, totalTooLong) }
func TestRequestTrailerWithReason(t *testing.T)    { badRequest(t, abortedStream) }
func TestResponseTrailerWithReason(t *testing.T)   { badResponse(t, abortedStream) }

// The caller's own abort: a call cancelled mid-upload returns at once and
// ends its request stream with a reason (what the handler side then does is
// TestRequestTrailerWithReason).
func TestCancelledUploadAbortsRequestStream(t *testing.T) {
	// A small send buffer and a receiver that does not read: the upload
	// blocks on backpressure, so the cancellation surely lands mid-upload.
	v := newEnv(t, memroom.WithSendBuffer(8<<10, 2<<10))
	bob := v.scripted("bob", plain()...)
	bob.gate = make(chan struct{})
	alice := v.join("alice", plain())
	sent := v.reached(chunkOf(engine.TopicRequest, 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := alice.Call(ctx, transport.Call{Destination: "bob", Method: "faults.Echo", Payload: randtext.New(50*chunkBytes, 1)})
		done <- err
	}()
	waitFor(t, sent, "the upload starting")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call ended with %v, want context.Canceled", err)
		}
	case <-time.After(promptBound):
		t.Error("cancelled call did not end")
	}
	close(bob.gate)
	tr := bob.next(t, promptBound, "trailer", func(p *livekit.DataPacket) bool { return p.GetStreamTrailer() != nil })
	if tr.GetStreamTrailer().GetReason() == "" {
		t.Error("the cancelled upload ended with a trailer without a reason")
	}
	if n := bob.count(func(p *livekit.DataPacket) bool { return p.GetStreamChunk() != nil }); n >= 50 {
		t.Errorf("all %d chunks were sent despite the cancellation", n)
	}
}
