package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	interopv1 "github.com/lkrpc/lkrpc/e2e/gen/interop/v1"
	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

// TestTypedTSStream is the server-streaming rows of the typed matrix
// (PROTOCOL.md §8): @lkrpc/lkrpc on livekit-client 2.23.0 in Chromium and on
// @livekit/rtc-node 1.1.0 against lkrpc's Go runtime, both ways: the
// example VoiceAgent.Answer (the Go handler is example/agent) and
// Interop.Count (e2e/proto) for many messages in order, an error with
// details mid-stream, a cancel reaching the other side's handler, and 1 MiB
// messages. Every message is compared with what the other side sent with
// proto.Equal (the TypeScript peer hands messages over as binary protobuf).
func TestTypedTSStream(t *testing.T) {
	srv := lkserver.Require(t)
	peers := []struct {
		name  string
		start func(*testing.T) *jsPeer
	}{
		{"browser", startTypedBrowser},
		{"node", startTypedNode},
	}
	var timings typedTimings
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			room := lkserver.RoomName(t)
			ts := p.start(t)
			var info struct{ Version string }
			ts.must(30*time.Second, &info, "connect", srv.URL, srv.Token(t, typedTSIdentity, room))
			t.Logf("%s: SDK %s", ts.Name(), info.Version)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			conn, err := lkrpc.Connect(ctx, srv.URL, srv.Token(t, typedGoIdentity, room))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			goSide := &goInterop{got: map[string]goReceived{}}
			unregister, err := interopv1.RegisterInteropHandler(conn, goSide)
			if err != nil {
				t.Fatal(err)
			}
			defer unregister()
			unregisterAgent, err := agentv1.RegisterVoiceAgentHandler(conn, agent.New())
			if err != nil {
				t.Fatal(err)
			}
			defer unregisterAgent()
			ts.must(10*time.Second, nil, "serve", false)
			ts.must(lkserver.AnnounceWithin+time.Second, nil, "waitFor", typedGoIdentity, lkserver.AnnounceWithin.Milliseconds())
			if _, err := conn.WaitParticipant(ctx, typedTSIdentity); err != nil {
				t.Fatal(err)
			}
			// Both sides advertise what they serve before the rows call
			// (the caller's discovery check of §8.5 would pass on nothing
			// advertised too, but not on a partial list).
			if err := conn.WaitServes(ctx, typedTSIdentity, agentv1.VoiceAgentServiceName); err != nil {
				t.Fatal(err)
			}
			ts.must(15*time.Second, nil, "awaitServes", typedGoIdentity, agentv1.VoiceAgentServiceName, true, 10_000)

			t.Run("ts-to-go", func(t *testing.T) { tsToGoStream(t, ts, &timings, p.name) })
			t.Run("go-to-ts", func(t *testing.T) { goToTSStream(t, ts, conn, &timings, p.name) })
		})
	}
	timings.log(t)
}

// countItem is item i of a Count call of size bytes per item, as both
// languages' handlers build it (countItem in ts/test/interop/peer.ts).
func countItem(i, size int) *interopv1.CountItem {
	it := &interopv1.CountItem{Index: uint32(i), Text: utf8Text(size)}
	if i == 0 {
		it.Sample = &interopv1.Sample{
			Id:       "first",
			Big:      math.MinInt64,
			Ubig:     math.MaxUint64,
			Kind:     interopv1.Kind_KIND_LARGE,
			Tags:     []string{"a", "", "é"},
			Counts:   map[string]int32{"x": 1},
			Choice:   &interopv1.Sample_Name{Name: "n"},
			Infinite: math.Inf(-1),
		}
	}
	return it
}

// goStreams is what the Go Count handler sent per call id and how it ended.
var goStreams = struct {
	mu    sync.Mutex
	sent  map[string][]*interopv1.CountItem
	ended map[string]string
}{sent: map[string][]*interopv1.CountItem{}, ended: map[string]string{}}

// Count streams req.Count items (until cancelled when 0), then fails as
// Fail does when req.Fail; it records what it sent and how it ended.
func (g *goInterop) Count(ctx context.Context, req *interopv1.CountRequest, stream *lkrpc.ServerStream[interopv1.CountItem]) (err error) {
	defer func() {
		how := "completed"
		if ctx.Err() != nil {
			how = "cancelled"
		}
		goStreams.mu.Lock()
		goStreams.ended[req.GetId()] = how
		goStreams.mu.Unlock()
	}()
	for i := 0; req.GetCount() == 0 || i < int(req.GetCount()); i++ {
		if i > 0 && req.GetIntervalMs() > 0 {
			select {
			case <-time.After(time.Duration(req.GetIntervalMs()) * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		item := countItem(i, int(req.GetSize()))
		goStreams.mu.Lock()
		goStreams.sent[req.GetId()] = append(goStreams.sent[req.GetId()], item)
		goStreams.mu.Unlock()
		if err := stream.Send(item); err != nil {
			return err
		}
	}
	if req.GetFail() {
		return lkrpc.NewError(4090, "refused: "+req.GetId(), goProblem, durationpb.New(1500*time.Millisecond))
	}
	return nil
}

func goStreamEnded(t *testing.T, id string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		goStreams.mu.Lock()
		how := goStreams.ended[id]
		goStreams.mu.Unlock()
		if how != "" || time.Now().After(deadline) {
			return how
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tsStream is what the TypeScript peer's callStream command answers.
type tsStream struct {
	tsCall
	Items   []string
	FirstMS float64
}

func (p *jsPeer) tsCallStream(t *testing.T, timeout time.Duration, service, method string, req proto.Message, opts map[string]any, stopAfter int) tsStream {
	t.Helper()
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = map[string]any{}
	}
	var res tsStream
	if err := p.Call(timeout, &res, "callStream", service, method, typedGoIdentity, base64.StdEncoding.EncodeToString(b), opts, stopAfter); err != nil {
		t.Fatal(err)
	}
	if res.NotLkrpc != "" {
		t.Fatalf("%s.%s threw something other than an LkrpcError: %s", service, method, res.NotLkrpc)
	}
	return res
}

// equalItems compares decoded messages with what was sent, with proto.Equal.
func equalItems[M proto.Message](t *testing.T, what string, got []M, want []M) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d messages, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("%s: message %d differs\n got: %.200v\nwant: %.200v", what, i, got[i], want[i])
		}
	}
}

func decodeItems[M proto.Message](t *testing.T, b64s []string, newM func() M) []M {
	t.Helper()
	out := make([]M, len(b64s))
	for i, s := range b64s {
		out[i] = newM()
		mustUnmarshalB64(t, s, out[i])
	}
	return out
}

// expectedAnswer is what the Go example agent streams for question,
// read through an in-memory room.
func expectedAnswer(t *testing.T, question string) []*agentv1.AnswerChunk {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	defer room.Close()
	server, err := lkrpc.ConnectMemory(room, "agent")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := agentv1.RegisterVoiceAgentHandler(server, agent.New()); err != nil {
		t.Fatal(err)
	}
	client, err := lkrpc.ConnectMemory(room, "frontend")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	stream, err := agentv1.NewVoiceAgentClient(client, "agent").Answer(context.Background(), &agentv1.AnswerRequest{Question: question})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var out []*agentv1.AnswerChunk
	for stream.Receive() {
		out = append(out, stream.Msg())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tsToGoStream(t *testing.T, ts *jsPeer, timings *typedTimings, peer string) {
	count := func(t *testing.T, id string, req *interopv1.CountRequest, stopAfter int, opts map[string]any) tsStream {
		req.Id = id
		return ts.tsCallStream(t, 2*time.Minute, "Interop", "count", req, opts, stopAfter)
	}
	sent := func(id string) []*interopv1.CountItem {
		goStreams.mu.Lock()
		defer goStreams.mu.Unlock()
		return goStreams.sent[id]
	}
	newItem := func() *interopv1.CountItem { return new(interopv1.CountItem) }

	t.Run("answer", func(t *testing.T) {
		want := expectedAnswer(t, "streams from "+peer)
		res := ts.tsCallStream(t, time.Minute, "VoiceAgent", "answer", &agentv1.AnswerRequest{Question: "streams from " + peer}, nil, 0)
		if !res.OK {
			t.Fatalf("call failed: %d %s %s", res.Code, res.Message, res.Data)
		}
		equalItems(t, "Answer", decodeItems(t, res.Items, func() *agentv1.AnswerChunk { return new(agentv1.AnswerChunk) }), want)
		// The agent pauses 40 ms between words: the messages came one by one.
		if min := float64(len(want)-1) * 40 * 0.9; res.MS-res.FirstMS < min {
			t.Errorf("%d words in %.0f ms after the first: not streamed", len(want), res.MS-res.FirstMS)
		}
		timings.add(peer, "ts→go", "stream-answer", res.MS)
	})

	t.Run("many-in-order", func(t *testing.T) {
		id := t.Name()
		res := count(t, id, &interopv1.CountRequest{Count: 500, Size: 100}, 0, nil)
		if !res.OK {
			t.Fatalf("call failed: %d %s %s", res.Code, res.Message, res.Data)
		}
		equalItems(t, "Count", decodeItems(t, res.Items, newItem), sent(id))
		timings.add(peer, "ts→go", "stream-500x100B", res.MS)
	})

	t.Run("error-with-details", func(t *testing.T) {
		id := t.Name()
		res := count(t, id, &interopv1.CountRequest{Count: 3, Size: 16, Fail: true}, 0, nil)
		if res.OK || res.Code != 4090 || res.Message != "refused: "+id {
			t.Fatalf("got ok=%v %d %q, want 4090", res.OK, res.Code, res.Message)
		}
		equalItems(t, "Count", decodeItems(t, res.Items, newItem), sent(id))
		if len(res.Details) != 2 || res.Details[0].Type != "lkrpc.interop.v1.Problem" || res.Details[1].Type != "google.protobuf.Duration" {
			t.Fatalf("details %+v (data %s)", res.Details, res.Data)
		}
		var problem interopv1.Problem
		var took durationpb.Duration
		mustUnmarshalB64(t, res.Details[0].B64, &problem)
		mustUnmarshalB64(t, res.Details[1].B64, &took)
		if !proto.Equal(&problem, goProblem) || !proto.Equal(&took, durationpb.New(1500*time.Millisecond)) {
			t.Errorf("details decoded as %v, %v", &problem, &took)
		}
	})

	t.Run("cancel-reaches-the-handler", func(t *testing.T) {
		id := t.Name()
		start := time.Now()
		res := count(t, id, &interopv1.CountRequest{Count: 0, Size: 32, IntervalMs: 20}, 5, nil)
		if !res.OK || len(res.Items) != 5 {
			t.Fatalf("got ok=%v %d items (%d %s)", res.OK, len(res.Items), res.Code, res.Data)
		}
		if how := goStreamEnded(t, id, 5*time.Second); how != "cancelled" {
			t.Fatalf("the Go handler ended %q, want cancelled", how)
		}
		n := len(sent(id))
		t.Logf("the Go handler stopped %v after the call started, having sent %d items", time.Since(start).Round(time.Millisecond), n)
		if n > 50 {
			t.Errorf("the Go handler sent %d items before it stopped", n)
		}
	})

	t.Run("1MiB-messages", func(t *testing.T) {
		id := t.Name()
		res := count(t, id, &interopv1.CountRequest{Count: 3, Size: 1 << 20}, 0, map[string]any{"timeoutMs": typedLargeTimeout.Milliseconds()})
		if !res.OK {
			t.Fatalf("call failed: %d %s %s", res.Code, res.Message, res.Data)
		}
		equalItems(t, "Count", decodeItems(t, res.Items, newItem), sent(id))
		timings.add(peer, "ts→go", "stream-3x1MiB", res.MS)
	})
}

// tsStreamed waits for what the TypeScript handler of call id sent, once
// it has ended.
func tsStreamed(t *testing.T, ts *jsPeer, id string, within time.Duration) (items []string, ended string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var rec *struct {
			Items []string
			Ended string
		}
		if err := ts.Call(10*time.Second, &rec, "streamed", id); err != nil {
			t.Fatal(err)
		}
		if rec != nil && rec.Ended != "" {
			return rec.Items, rec.Ended
		}
		if time.Now().After(deadline) {
			if rec == nil {
				return nil, ""
			}
			return rec.Items, rec.Ended
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func goToTSStream(t *testing.T, ts *jsPeer, conn *lkrpc.Conn, timings *typedTimings, peer string) {
	client := interopv1.NewInteropClient(conn, typedTSIdentity)
	newItem := func() *interopv1.CountItem { return new(interopv1.CountItem) }
	// receive reads up to stop messages (0: all) and returns them with the stream's error.
	receive := func(t *testing.T, req *interopv1.CountRequest, stop int, opts ...lkrpc.CallOption) ([]*interopv1.CountItem, error, float64) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		stream, err := client.Count(ctx, req, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		var got []*interopv1.CountItem
		for stream.Receive() {
			got = append(got, stream.Msg())
			if stop > 0 && len(got) == stop {
				break
			}
		}
		return got, stream.Err(), float64(time.Since(start).Microseconds()) / 1000
	}

	t.Run("answer", func(t *testing.T) {
		question := "streams from Go to " + peer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		stream, err := agentv1.NewVoiceAgentClient(conn, typedTSIdentity).Answer(ctx, &agentv1.AnswerRequest{Question: question})
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Close()
		var got []*agentv1.AnswerChunk
		var text strings.Builder
		for stream.Receive() {
			got = append(got, stream.Msg())
			text.WriteString(stream.Msg().GetText())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		items, ended := tsStreamed(t, ts, "answer:"+question, 10*time.Second)
		if ended != "completed" {
			t.Fatalf("the TypeScript handler ended %q", ended)
		}
		equalItems(t, "Answer", got, decodeItems(t, items, func() *agentv1.AnswerChunk { return new(agentv1.AnswerChunk) }))
		if !strings.HasPrefix(text.String(), "You asked about "+question) {
			t.Errorf("answer %q", text.String())
		}
		timings.add(peer, "go→ts", "stream-answer", float64(time.Since(start).Microseconds())/1000)
	})

	t.Run("many-in-order", func(t *testing.T) {
		id := t.Name()
		got, err, ms := receive(t, &interopv1.CountRequest{Id: id, Count: 500, Size: 100}, 0)
		if err != nil {
			t.Fatal(err)
		}
		items, ended := tsStreamed(t, ts, id, 10*time.Second)
		if ended != "completed" {
			t.Fatalf("the TypeScript handler ended %q", ended)
		}
		equalItems(t, "Count", got, decodeItems(t, items, newItem))
		timings.add(peer, "go→ts", "stream-500x100B", ms)
	})

	t.Run("error-with-details", func(t *testing.T) {
		id := t.Name()
		got, err, _ := receive(t, &interopv1.CountRequest{Id: id, Count: 3, Size: 16, Fail: true}, 0)
		var e *lkrpc.Error
		if !errors.As(err, &e) || e.Code != 4090 || e.Message != "refused: "+id {
			t.Fatalf("got %v, want 4090", err)
		}
		items, _ := tsStreamed(t, ts, id, 10*time.Second)
		equalItems(t, "Count", got, decodeItems(t, items, newItem))
		details, derr := lkrpc.ErrorDetails(err)
		if derr != nil || len(details) != 2 {
			t.Fatalf("ErrorDetails = %v, %v (data %s)", details, derr, e.Data)
		}
		want := []proto.Message{tsProblem, durationpb.New(1500 * time.Millisecond)}
		for i := range want {
			if !proto.Equal(details[i], want[i]) {
				t.Errorf("detail %d = %v, want %v", i, details[i], want[i])
			}
		}
	})

	t.Run("cancel-reaches-the-handler", func(t *testing.T) {
		id := t.Name()
		start := time.Now()
		got, err, _ := receive(t, &interopv1.CountRequest{Id: id, Count: 0, Size: 32, IntervalMs: 20}, 5)
		if len(got) != 5 || err != nil {
			t.Fatalf("got %d items, %v", len(got), err)
		}
		// receive's deferred Close has cancelled the call.
		items, ended := tsStreamed(t, ts, id, 5*time.Second)
		if ended != "cancelled" {
			t.Fatalf("the TypeScript handler ended %q, want cancelled", ended)
		}
		t.Logf("the TypeScript handler stopped %v after the call started, having sent %d items", time.Since(start).Round(time.Millisecond), len(items))
		if len(items) > 50 {
			t.Errorf("the TypeScript handler sent %d items before it stopped", len(items))
		}
	})

	t.Run("1MiB-messages", func(t *testing.T) {
		id := t.Name()
		got, err, ms := receive(t, &interopv1.CountRequest{Id: id, Count: 3, Size: 1 << 20}, 0, lkrpc.WithTimeout(typedLargeTimeout))
		if err != nil {
			t.Fatal(err)
		}
		items, _ := tsStreamed(t, ts, id, 10*time.Second)
		equalItems(t, "Count", got, decodeItems(t, items, newItem))
		timings.add(peer, "go→ts", "stream-3x1MiB", ms)
	})
}
