package conformance_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// §7: livekit-server announces a participant that publishes nothing 0–3 s
// after it joins. These tests hold every announcement to the participants
// already present (WithAnnounceDelay(time.Hour)) and end the window with
// Room.Announce when the test chooses; the newcomer sees the others at once.

// joinBig is what the join-window tests send and answer: more than a v1
// packet can carry.
var joinBig = noisy(200 << 10)

// windowBed is a room whose newcomers stay unannounced until Announce.
func windowBed(t *testing.T) *bed { return newBed(t, memroom.WithAnnounceDelay(time.Hour)) }

// timerSlack bounds how late a timer-driven outcome may be on a loaded
// machine.
const timerSlack = 2 * time.Second

// logSignal is a slog handler that reports each message containing one of
// its keys: the engine's debug log is how a test learns that a call is
// waiting, without sleeping.
type logSignal struct {
	key string
	hit chan struct{}
}

func newLogSignal(key string) *logSignal { return &logSignal{key: key, hit: make(chan struct{}, 16)} }

func (s *logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSignal) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSignal) WithGroup(string) slog.Handler            { return s }
func (s *logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, s.key) {
		select {
		case s.hit <- struct{}{}:
		default:
		}
	}
	return nil
}

func (s *logSignal) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s.hit:
	case <-time.After(waitLimit):
		t.Fatalf("%s: not seen within %v", what, waitLimit)
	}
}

// waiting is a logger option whose signal fires when a call starts waiting
// for its destination.
func waiting() (engine.Option, *logSignal) {
	s := newLogSignal("waiting for the room")
	return engine.WithLogger(slog.New(s)), s
}

type callResult struct {
	reply transport.Reply
	err   error
	took  time.Duration
}

func goCall(ctx context.Context, e *engine.Engine, c transport.Call) <-chan callResult {
	res := make(chan callResult, 1)
	go func() {
		start := time.Now()
		r, err := e.Call(ctx, c)
		res <- callResult{r, err, time.Since(start)}
	}()
	return res
}

func awaitCall(t *testing.T, res <-chan callResult) callResult {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("call did not end within %v", waitLimit)
		return callResult{}
	}
}

// A caller that calls the moment it joined sends an RPC v2 request; the
// handler, which has not heard of it, answers a 200 KiB reply as a plain
// v2 stream (the request proved protocol ≥ 1, nothing more) instead of
// 1504.
func TestJoinWindow_V2RequestFromUnannouncedCallerGetsStreamReply(t *testing.T) {
	b := windowBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "big", answer(joinBig))
	alice := b.engine("alice", v2) // bob is not told about alice
	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "big", Payload: "hi"})
	if r.Payload != joinBig {
		t.Fatalf("reply of %d bytes, want %d", len(r.Payload), len(joinBig))
	}
	if r.Request.Form == transport.FormPacket {
		t.Errorf("request went as %v, want a v2 stream (alice knows bob speaks 2)", r.Request)
	}
	if r.Response.Form != transport.FormStream || r.Response.Compressed {
		t.Errorf("reply came as %v, want a plain v2 stream: only protocol 1 is proved", r.Response)
	}
}

// The room's word wins once it comes: a participant that proved ≥ 1 by an
// RPC v2 request but is then announced with protocol 0 gets what protocol 0
// allows.
func TestJoinWindow_RoomsWordWinsOverLearnedProtocol(t *testing.T) {
	b := windowBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "big", answer(joinBig))
	alice := b.raw("alice", protocol0...)
	sendRaw(t, alice, requestStream("s1", goodAttrs("r1", "big"), 2, "", "hi"))
	b.log.waitFor(t, "response stream", and(from("bob"), topic(jsTopicResponse), forID("r1")))

	// The announcement reaches bob before alice's next request: one queue.
	b.room.Announce("alice")
	sendRaw(t, alice, requestStream("s2", goodAttrs("r2", "big"), 2, "", "hi"))
	e := wantErrorPacket(t, response(t, b, "r2"), rpcerr.ResponsePayloadTooLarge)
	if !strings.Contains(e.GetData(), "alice advertises client protocol 0") {
		t.Errorf("1504 data %q, want it to say that alice advertises 0", e.GetData())
	}
}

// A v1 request proves nothing; when the reply is too large for a packet the
// handler waits for the room's word on the caller, within the caller's
// deadline, rather than answer 1504 at once.
func TestJoinWindow_V1RequestFromUnannouncedCallerAwaitsTheRoom(t *testing.T) {
	b := windowBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "big", answer(joinBig))
	alice := b.raw("alice", v2...)
	rawSend(t, alice, rpcRequest("bob", "r", "big", "", 1))
	b.log.waitFor(t, "ack", and(from("bob"), kind[ackPkt], forID("r")))
	b.room.Announce("alice")
	first := b.log.waitFor(t, "answer", and(from("bob"), forID("r"), func(d memroom.Delivery) bool {
		return !memroom.IsKind[ackPkt](d)
	}))
	if h := first.Packet.GetStreamHeader(); h.GetTopic() != jsTopicResponse {
		t.Fatalf("bob answered %s, want a response stream once alice was announced", summary(first.Packet))
	}
}

// 1504 and 1402 say whether the peer advertises 0 or is not known yet.
func TestJoinWindow_TooLargeDataSaysWhetherUnknownOrProtocol0(t *testing.T) {
	b := windowBed(t)
	bob := b.engine("bob", v2)
	serve(t, bob, "big", answer(joinBig))

	// alice is never announced: bob waits out her 300 ms deadline, then
	// answers 1504 saying why.
	alice := b.raw("alice", v2...)
	req := rpcRequest("bob", "r", "big", "", 1)
	req.GetRpcRequest().ResponseTimeoutMs = 300
	start := time.Now()
	rawSend(t, alice, req)
	e := wantErrorPacket(t, response(t, b, "r"), rpcerr.ResponsePayloadTooLarge)
	if took := time.Since(start); took < 300*time.Millisecond || took > 300*time.Millisecond+timerSlack {
		t.Errorf("1504 after %v, want at the caller's 300 ms deadline", took)
	}
	if want := "participant alice is not known to the room yet; treated as client protocol 0"; !strings.HasPrefix(e.GetData(), want) {
		t.Errorf("1504 data %q, want it to start %q", e.GetData(), want)
	}

	// carol is announced with protocol 0: 1504 at once, saying so.
	carol := b.raw("carol", protocol0...)
	b.room.Announce("carol")
	rawSend(t, carol, rpcRequest("bob", "c", "big", "", 1))
	e = wantErrorPacket(t, response(t, b, "c"), rpcerr.ResponsePayloadTooLarge)
	if want := "participant carol advertises client protocol 0"; !strings.HasPrefix(e.GetData(), want) {
		t.Errorf("1504 data %q, want it to start %q", e.GetData(), want)
	}

	// The caller's side: a forced packet says that it was forced.
	dave := b.engine("dave", v2)
	_, err := call(t, dave, transport.Call{Destination: "bob", Method: "big", Payload: joinBig, Force: transport.FormPacket})
	if re := wantCode(t, err, rpcerr.RequestPayloadTooLarge); !strings.Contains(re.Data, "forces an RPC v1 packet") {
		t.Errorf("1402 data %q, want it to say the packet was forced", re.Data)
	}
}

// A caller whose destination has joined but is not announced yet waits for
// it before choosing the form, and a 200 KiB request then streams.
func TestJoinWindow_CallToUnannouncedDestinationWaits(t *testing.T) {
	b := windowBed(t)
	logOpt, waits := waiting()
	alice := b.engine("alice", v2, logOpt)
	bob := b.engine("bob", v2) // alice is not told about bob
	serve(t, bob, "echo", echo)
	res := goCall(t.Context(), alice, transport.Call{Destination: "bob", Method: "echo", Payload: joinBig})
	waits.wait(t, "alice waiting for bob")
	if sent := b.log.where(from("alice")); len(sent) != 0 {
		t.Fatalf("alice sent before bob was announced:\n%s", describe(sent))
	}
	b.room.Announce("bob")
	r := awaitCall(t, res)
	if r.err != nil || r.reply.Payload != joinBig {
		t.Fatalf("call: %v (reply %d bytes)", r.err, len(r.reply.Payload))
	}
	if r.reply.Request.Form == transport.FormPacket || r.reply.Request.Form == transport.FormNone {
		t.Errorf("request went as %v, want a v2 stream", r.reply.Request)
	}
}

// Waiting only when it can change the outcome: a payload a packet can carry
// goes at once as one (every peer accepts it), and so does one to a
// destination that has proved protocol ≥ 1 by its own requests, as a
// plain stream.
func TestJoinWindow_NoWaitWhenItCannotChangeTheOutcome(t *testing.T) {
	b := windowBed(t)
	alice := b.engine("alice", v2)
	serve(t, alice, "echo", echo)
	bob := b.engine("bob", v2)
	serve(t, bob, "echo", echo)

	r := mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "hi"})
	if r.Request.Form != transport.FormPacket {
		t.Errorf("small request to unannounced bob went as %v, want a v1 packet", r.Request)
	}
	// bob knows alice (he joined later) and calls her with a stream:
	// alice learns that bob speaks ≥ 1.
	mustCall(t, bob, transport.Call{Destination: "alice", Method: "echo", Payload: "hi"})
	r = mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: joinBig})
	if r.Request.Form != transport.FormStream || r.Request.Compressed {
		t.Errorf("large request to bob, who proved protocol 1, went as %v, want a plain v2 stream", r.Request)
	}
}

// A destination that never appears: 1401 when the call's ack deadline (or
// its response deadline, if sooner) passes, with nothing sent; the same
// code as a small call that went at once and was never acked.
func TestJoinWindow_DestinationNeverAppearsFails1401(t *testing.T) {
	const ack = 300 * time.Millisecond
	b := windowBed(t)
	alice := b.engine("alice", v2, engine.WithAckTimeout(ack))
	for _, c := range []struct {
		name    string
		payload string
		timeout time.Duration
		bound   time.Duration
	}{
		{"200 KiB, ack deadline first", joinBig, 0, ack},
		{"200 KiB, response deadline first", joinBig, 150 * time.Millisecond, 150 * time.Millisecond},
		{"small, sent at once, never acked", "hi", 0, ack},
	} {
		start := time.Now()
		_, err := alice.Call(t.Context(), transport.Call{Destination: "ghost", Method: "echo", Payload: c.payload, Timeout: c.timeout})
		took := time.Since(start)
		re := wantCode(t, err, rpcerr.RecipientNotFound)
		if !strings.Contains(re.Data, "participant ghost is not in the room") {
			t.Errorf("%s: data %q", c.name, re.Data)
		}
		if took < c.bound || took > c.bound+timerSlack {
			t.Errorf("%s: 1401 after %v, want at %v", c.name, took, c.bound)
		}
	}
	if sent := b.log.where(and(from("alice"), func(d memroom.Delivery) bool { return !memroom.IsKind[reqPkt](d) })); len(sent) != 0 {
		t.Errorf("alice put large requests on the wire for a destination nobody announced:\n%s", describe(sent))
	}
}

// The wait ends promptly, once, as the call's ctx or the engine does.
func TestJoinWindow_WaitEndsWithCtxOrEngine(t *testing.T) {
	start := func(t *testing.T, ctx context.Context) (*bed, *engine.Engine, <-chan callResult) {
		b := windowBed(t)
		logOpt, waits := waiting()
		alice := b.engine("alice", v2, logOpt)
		b.engine("bob", v2)
		res := goCall(ctx, alice, transport.Call{Destination: "bob", Method: "echo", Payload: joinBig})
		waits.wait(t, "alice waiting for bob")
		return b, alice, res
	}
	prompt := func(t *testing.T, r callResult) {
		t.Helper()
		if r.took > timerSlack {
			t.Errorf("the call took %v to end", r.took)
		}
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		_, _, res := start(t, ctx)
		cancel(errors.New("user gave up"))
		r := awaitCall(t, res)
		if !errors.Is(r.err, context.Canceled) || rpcerr.Code(r.err) != 0 {
			t.Errorf("err = %v, want one wrapping context.Canceled and no RPC code", r.err)
		}
		prompt(t, r)
	})
	t.Run("ctx deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		_, _, res := start(t, ctx)
		r := awaitCall(t, res)
		wantCode(t, r.err, rpcerr.ResponseTimeout)
		prompt(t, r)
	})
	t.Run("engine closed", func(t *testing.T) {
		_, alice, res := start(t, t.Context())
		_ = alice.Close()
		r := awaitCall(t, res)
		wantCode(t, r.err, rpcerr.RecipientDisconnected)
		prompt(t, r)
	})
	t.Run("link lost", func(t *testing.T) {
		b, _, res := start(t, t.Context())
		b.room.Remove("alice", errors.New("network gone"))
		r := awaitCall(t, res)
		if re := wantCode(t, r.err, rpcerr.RecipientDisconnected); !strings.Contains(re.Message, "network gone") {
			t.Errorf("message %q, want the link's cause", re.Message)
		}
		prompt(t, r)
	})
}
