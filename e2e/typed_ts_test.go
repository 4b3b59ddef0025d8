package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	interopv1 "github.com/lkrpc/lkrpc/e2e/gen/interop/v1"
	"github.com/lkrpc/lkrpc/e2e/lkserver"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// TestTypedTS is the typed rows of the interop matrix: @lkrpc/lkrpc (ts/)
// on livekit-client 2.23.0 in Chromium and on @livekit/rtc-node 1.1.0, against
// lkrpc's Go runtime on its participant link, both ways, calling and serving
// lkrpc.interop.v1.Interop (e2e/proto) through the generated code of each
// language. Every message one side decoded is compared with what the other
// sent with proto.Equal (the TypeScript peer hands back what it decoded as
// binary protobuf): both codecs from 16 B to 10 MiB, errors with typed
// details, a handler's plain error (1500 without its text), an unknown
// method (1400) and the method's own timeout option (1502).
func TestTypedTS(t *testing.T) {
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
			ts.must(10*time.Second, nil, "serve", false)
			ts.must(lkserver.AnnounceWithin+time.Second, nil, "waitFor", typedGoIdentity, lkserver.AnnounceWithin.Milliseconds())
			if _, err := conn.WaitParticipant(ctx, typedTSIdentity); err != nil {
				t.Fatal(err)
			}

			t.Run("ts-to-go", func(t *testing.T) { tsToGo(t, ts, goSide, &timings, p.name) })
			t.Run("go-to-ts", func(t *testing.T) { goToTS(t, ts, conn, &timings, p.name) })
		})
	}
	timings.log(t)
}

const (
	typedTSIdentity = "ts"
	typedGoIdentity = "go"
)

// typedSizes are the sample sizes of the echo rows (text for JSON, bytes for binary).
var typedSizes = []int{16, 15 << 10, 100 << 10, 1 << 20, 10 << 20}

// typedLargeTimeout is the response timeout of echo rows of 1 MiB and more,
// instead of the service's 30 s: random bytes (the binary rows) barely
// deflate, and under -race deflating 13 MiB of their base64 takes the Go
// side 10-20 s; 10 MiB rows took up to 55 s in a -race run on 2 cores.
const typedLargeTimeout = 2 * time.Minute

// echoOptions are the TypeScript call options of an echo row of size bytes.
func echoOptions(size int) map[string]any {
	if size >= 1<<20 {
		return map[string]any{"timeoutMs": typedLargeTimeout.Milliseconds()}
	}
	return nil
}

func startTypedBrowser(t *testing.T) *jsPeer {
	t.Helper()
	const name = "typed-browser"
	return started(t, name)(lkserver.StartTypedBrowser(&testLogWriter{t: t, prefix: name + ": "}, sdkLog(t, name)))
}

func startTypedNode(t *testing.T) *jsPeer {
	t.Helper()
	const name = "typed-node"
	return started(t, name)(lkserver.StartTypedNode(&testLogWriter{t: t, prefix: name + ": "}, sdkLog(t, name)))
}

// tsCall is what the TypeScript peer's call command answers.
type tsCall struct {
	OK       bool
	ReplyB64 string
	NotLkrpc string
	Code     int
	Message  string
	Data     string
	Details  []struct{ Type, B64 string }
	MS       float64
}

func (p *jsPeer) tsCall(t *testing.T, timeout time.Duration, service, method string, req proto.Message, opts map[string]any) tsCall {
	t.Helper()
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = map[string]any{}
	}
	var res tsCall
	if err := p.Call(timeout, &res, "call", service, method, typedGoIdentity, base64.StdEncoding.EncodeToString(b), opts); err != nil {
		t.Fatal(err)
	}
	if res.NotLkrpc != "" {
		t.Fatalf("%s.%s rejected with something other than an LkrpcError: %s", service, method, res.NotLkrpc)
	}
	return res
}

func tsToGo(t *testing.T, ts *jsPeer, goSide *goInterop, timings *typedTimings, peer string) {
	for _, codec := range []string{"json", "binary"} {
		for _, size := range typedSizes {
			name := fmt.Sprintf("echo-%s-%s", codec, sizeName(size))
			t.Run(name, func(t *testing.T) {
				s := typedSample(t.Name(), size, codec)
				var res tsCall
				var reply proto.Message
				if codec == "json" {
					res = ts.tsCall(t, typedLargeTimeout+time.Minute, "Interop", "echoJSON", &interopv1.EchoJSONRequest{Sample: s}, echoOptions(size))
					reply = &interopv1.EchoJSONResponse{}
				} else {
					res = ts.tsCall(t, typedLargeTimeout+time.Minute, "Interop", "echoBinary", &interopv1.EchoBinaryRequest{Sample: s}, echoOptions(size))
					reply = &interopv1.EchoBinaryResponse{}
				}
				if !res.OK {
					t.Fatalf("call failed: %d %s %s", res.Code, res.Message, res.Data)
				}
				got, ok := goSide.take(s.GetId())
				if !ok {
					t.Fatal("the Go handler received nothing")
				}
				wantCodec := map[string]lkrpc.CodecName{"json": lkrpc.CodecJSON, "binary": lkrpc.CodecBinary}[codec]
				if got.codec != wantCodec {
					t.Errorf("request came as codec %d, want %d", got.codec, wantCodec)
				}
				if !proto.Equal(got.sample, s) {
					t.Errorf("the Go handler decoded a different sample than TypeScript sent\n got: %s\nwant: %s", brief(got.sample), brief(s))
				}
				mustUnmarshalB64(t, res.ReplyB64, reply)
				if echoed := reply.(interface{ GetSample() *interopv1.Sample }).GetSample(); !proto.Equal(echoed, s) {
					t.Errorf("TypeScript decoded a different reply than Go sent\n got: %s\nwant: %s", brief(echoed), brief(s))
				}
				timings.add(peer, "ts→go", name, res.MS)
			})
		}
	}

	t.Run("error-with-details", func(t *testing.T) {
		res := ts.tsCall(t, 15*time.Second, "Interop", "fail", &interopv1.FailRequest{Why: "testing"}, nil)
		if res.OK || res.Code != 4090 || res.Message != "refused: testing" {
			t.Fatalf("got ok=%v %d %q, want 4090 \"refused: testing\"", res.OK, res.Code, res.Message)
		}
		if len(res.Details) != 2 {
			t.Fatalf("TypeScript decoded %d details, want 2 (data %s)", len(res.Details), res.Data)
		}
		var problem interopv1.Problem
		var took durationpb.Duration
		if res.Details[0].Type != "lkrpc.interop.v1.Problem" || res.Details[1].Type != "google.protobuf.Duration" {
			t.Fatalf("detail types %s, %s", res.Details[0].Type, res.Details[1].Type)
		}
		mustUnmarshalB64(t, res.Details[0].B64, &problem)
		mustUnmarshalB64(t, res.Details[1].B64, &took)
		if !proto.Equal(&problem, goProblem) || !proto.Equal(&took, durationpb.New(1500*time.Millisecond)) {
			t.Errorf("details decoded as %v, %v", &problem, &took)
		}
		timings.add(peer, "ts→go", "error-with-details", res.MS)
	})

	t.Run("plain-handler-error", func(t *testing.T) {
		res := ts.tsCall(t, 15*time.Second, "Interop", "fail", &interopv1.FailRequest{Why: "plain"}, nil)
		if res.OK || res.Code != lkrpc.ApplicationError || res.Message != "Application error in method handler" || res.Data != "" {
			t.Fatalf("got ok=%v %d %q %q, want 1500 with the standard message and no data", res.OK, res.Code, res.Message, res.Data)
		}
	})

	t.Run("unknown-method", func(t *testing.T) {
		res := ts.tsCall(t, 15*time.Second, "Unserved", "nothing", &interopv1.NothingRequest{}, nil)
		if res.OK || res.Code != lkrpc.UnsupportedMethod {
			t.Fatalf("got ok=%v %d %q, want 1400", res.OK, res.Code, res.Message)
		}
		timings.add(peer, "ts→go", "unknown-method", res.MS)
	})

	t.Run("timeout-from-option", func(t *testing.T) {
		res := ts.tsCall(t, 15*time.Second, "Interop", "sleep", &interopv1.SleepRequest{SleepMs: 4000}, nil)
		if res.OK || res.Code != lkrpc.ResponseTimeout {
			t.Fatalf("got ok=%v %d %q, want 1502", res.OK, res.Code, res.Message)
		}
		// The method's timeout_ms is 1500.
		if res.MS < 1400 || res.MS > 3500 {
			t.Errorf("timed out after %.0f ms, want about 1500", res.MS)
		}
		timings.add(peer, "ts→go", "timeout-from-option", res.MS)
	})
}

func goToTS(t *testing.T, ts *jsPeer, conn *lkrpc.Conn, timings *typedTimings, peer string) {
	client := interopv1.NewInteropClient(conn, typedTSIdentity)
	for _, codec := range []string{"json", "binary"} {
		for _, size := range typedSizes {
			name := fmt.Sprintf("echo-%s-%s", codec, sizeName(size))
			t.Run(name, func(t *testing.T) {
				s := typedSample(t.Name(), size, codec)
				ctx, cancel := context.WithTimeout(context.Background(), typedLargeTimeout+time.Minute)
				defer cancel()
				var opts []lkrpc.CallOption
				if size >= 1<<20 {
					opts = append(opts, lkrpc.WithTimeout(typedLargeTimeout))
				}
				start := time.Now()
				var echoed *interopv1.Sample
				var req proto.Message
				var err error
				if codec == "json" {
					req = &interopv1.EchoJSONRequest{Sample: s}
					var r *interopv1.EchoJSONResponse
					r, err = client.EchoJSON(ctx, req.(*interopv1.EchoJSONRequest), opts...)
					echoed = r.GetSample()
				} else {
					req = &interopv1.EchoBinaryRequest{Sample: s}
					var r *interopv1.EchoBinaryResponse
					r, err = client.EchoBinary(ctx, req.(*interopv1.EchoBinaryRequest), opts...)
					echoed = r.GetSample()
				}
				ms := float64(time.Since(start).Microseconds()) / 1000
				if err != nil {
					t.Fatalf("call failed: %v", err)
				}
				var got struct {
					B64   string
					Codec string
				}
				if err := ts.Call(time.Minute, &got, "received", s.GetId()); err != nil {
					t.Fatal(err)
				}
				if got.Codec != codec {
					t.Errorf("the TypeScript handler saw a %s request, want %s", got.Codec, codec)
				}
				decoded := proto.Clone(req)
				proto.Reset(decoded)
				mustUnmarshalB64(t, got.B64, decoded)
				if !proto.Equal(decoded, req) {
					t.Errorf("the TypeScript handler decoded a different request than Go sent\n got: %s\nwant: %s",
						brief(decoded.(interface{ GetSample() *interopv1.Sample }).GetSample()), brief(s))
				}
				if !proto.Equal(echoed, s) {
					t.Errorf("Go decoded a different reply than TypeScript sent\n got: %s\nwant: %s", brief(echoed), brief(s))
				}
				timings.add(peer, "go→ts", name, ms)
			})
		}
	}

	t.Run("error-with-details", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		start := time.Now()
		_, err := client.Fail(ctx, &interopv1.FailRequest{Why: "testing"})
		ms := float64(time.Since(start).Microseconds()) / 1000
		var e *lkrpc.Error
		if !errors.As(err, &e) || e.Code != 4090 || e.Message != "refused: testing" {
			t.Fatalf("got %v, want 4090 \"refused: testing\"", err)
		}
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
		timings.add(peer, "go→ts", "error-with-details", ms)
	})

	t.Run("plain-handler-error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_, err := client.Fail(ctx, &interopv1.FailRequest{Why: "plain"})
		var e *lkrpc.Error
		if !errors.As(err, &e) || e.Code != lkrpc.ApplicationError || e.Message != "Application error in method handler" || e.Data != "" {
			t.Fatalf("got %#v, want 1500 with the standard message and no data", err)
		}
	})

	t.Run("unknown-method", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		start := time.Now()
		_, err := interopv1.NewUnservedClient(conn, typedTSIdentity).Nothing(ctx, &interopv1.NothingRequest{})
		if lkrpc.Code(err) != lkrpc.UnsupportedMethod {
			t.Fatalf("got %v, want 1400", err)
		}
		timings.add(peer, "go→ts", "unknown-method", float64(time.Since(start).Microseconds())/1000)
	})

	t.Run("timeout-from-option", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		start := time.Now()
		_, err := client.Sleep(ctx, &interopv1.SleepRequest{SleepMs: 4000})
		took := time.Since(start)
		if lkrpc.Code(err) != lkrpc.ResponseTimeout {
			t.Fatalf("got %v, want 1502", err)
		}
		if took < 1400*time.Millisecond || took > 3500*time.Millisecond {
			t.Errorf("timed out after %v, want about 1.5 s (the method's timeout_ms)", took)
		}
		timings.add(peer, "go→ts", "timeout-from-option", float64(took.Microseconds())/1000)
	})
}

// goInterop is the Go side's Interop: it echoes and records what it decoded.
type goInterop struct {
	interopv1.UnimplementedInteropHandler
	mu  sync.Mutex
	got map[string]goReceived
}

type goReceived struct {
	sample *interopv1.Sample
	codec  lkrpc.CodecName
}

func (g *goInterop) record(ctx context.Context, s *interopv1.Sample) {
	caller, _ := lkrpc.CallerFromContext(ctx)
	g.mu.Lock()
	g.got[s.GetId()] = goReceived{sample: s, codec: caller.Codec}
	g.mu.Unlock()
}

func (g *goInterop) take(id string) (goReceived, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.got[id]
	delete(g.got, id)
	return r, ok
}

func (g *goInterop) EchoJSON(ctx context.Context, req *interopv1.EchoJSONRequest) (*interopv1.EchoJSONResponse, error) {
	g.record(ctx, req.GetSample())
	return &interopv1.EchoJSONResponse{Sample: req.GetSample()}, nil
}

func (g *goInterop) EchoBinary(ctx context.Context, req *interopv1.EchoBinaryRequest) (*interopv1.EchoBinaryResponse, error) {
	g.record(ctx, req.GetSample())
	return &interopv1.EchoBinaryResponse{Sample: req.GetSample()}, nil
}

// goProblem is the detail the Go handler's Fail sends.
var goProblem = &interopv1.Problem{
	RetryAfterMs: math.MaxInt64,
	Reason:       "refused by Go",
	Hints:        []string{"é", "𝄞"},
	Labels:       map[string]string{"side": "go"},
}

// tsProblem is what the TypeScript handler's Fail sends (failProblem in
// ts/test/interop/peer.ts).
var tsProblem = &interopv1.Problem{
	Reason:       "refused on purpose",
	RetryAfterMs: 9007199254740993,
	Hints:        []string{"wait", "retry ✓"},
	Labels:       map[string]string{"side": "ts"},
}

func (g *goInterop) Fail(ctx context.Context, req *interopv1.FailRequest) (*interopv1.FailResponse, error) {
	if req.GetWhy() == "plain" {
		return nil, errors.New("secret text of a Go handler")
	}
	return nil, lkrpc.NewError(4090, "refused: "+req.GetWhy(), goProblem, durationpb.New(1500*time.Millisecond))
}

// Sleep sleeps whatever its context says (the wire's advisory timeout ends
// it early: rtc-node's is shorter than the caller's), so that the caller's
// own timer, set from the method's timeout_ms, is what ends the call.
func (g *goInterop) Sleep(ctx context.Context, req *interopv1.SleepRequest) (*interopv1.SleepResponse, error) {
	time.Sleep(time.Duration(min(req.GetSleepMs(), 5000)) * time.Millisecond)
	return &interopv1.SleepResponse{SleptMs: req.GetSleepMs()}, nil
}

// typedSample is a sample of about size bytes: a 16-byte text alone for
// the smallest size, else every field kind plus filler — multi-byte text
// for JSON rows, random bytes for binary rows.
func typedSample(id string, size int, codec string) *interopv1.Sample {
	if size <= 16 {
		return &interopv1.Sample{Id: id, Text: utf8Text(size)}
	}
	s := &interopv1.Sample{
		Id:       id,
		Big:      math.MinInt64,
		Ubig:     math.MaxUint64,
		Small:    -7,
		Ratio:    0.1,
		Fraction: 1.5,
		Flag:     true,
		Kind:     interopv1.Kind_KIND_LARGE,
		Tags:     []string{"a", "", "é"},
		Numbers:  []int64{1, -2, 1 << 60},
		Counts:   map[string]int32{"x": 1, "y": -2},
		ById:     map[int64]*interopv1.Nested{-5: {Note: "five", Kinds: []interopv1.Kind{interopv1.Kind_KIND_SMALL}}},
		Nested:   &interopv1.Nested{Note: "n"},
		Choice:   &interopv1.Sample_Other{Other: &interopv1.Nested{Note: "other"}},
		Maybe:    proto.Int32(0),
		At:       timestamppb.New(time.Date(2025, 12, 7, 17, 5, 0, 123456789, time.UTC)),
		Took:     durationpb.New(-1500 * time.Millisecond),
		Meta: &structpb.Struct{Fields: map[string]*structpb.Value{
			"k": structpb.NewStringValue("v"), "n": structpb.NewNumberValue(1.5),
			"list": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewBoolValue(true), structpb.NewNullValue()}}),
		}},
		Label:    wrapperspb.String(""),
		Infinite: math.Inf(-1),
		Fixed:    math.MaxUint64 - 1,
	}
	if codec == "json" {
		s.Text = utf8Text(size)
	} else {
		s.Blob = make([]byte, size)
		r := rand.New(rand.NewPCG(uint64(size), 7))
		for i := range s.Blob {
			s.Blob[i] = byte(r.Uint32())
		}
	}
	return s
}

// utf8Text is n bytes of valid UTF-8 mixing 1- to 4-byte characters.
func utf8Text(n int) string {
	const unit = "lkrpc ✓ é 𝄞 \"q\" \\ \n"
	s := strings.Repeat(unit, n/len(unit)+1)[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + strings.Repeat("x", n-len(s))
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func mustUnmarshalB64(t *testing.T, b64 string, m proto.Message) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("base64 from the TypeScript peer: %v", err)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("protobuf from the TypeScript peer: %v", err)
	}
}

// brief shows a sample without its bulk.
func brief(s *interopv1.Sample) string {
	if s == nil {
		return "<nil>"
	}
	c := proto.Clone(s).(*interopv1.Sample)
	if len(c.Text) > 64 {
		c.Text = fmt.Sprintf("%s…(%d bytes)", c.Text[:32], len(s.Text))
	}
	if len(c.Blob) > 32 {
		c.Blob = c.Blob[:32]
	}
	return fmt.Sprintf("%v (blob %d bytes)", c, len(s.Blob))
}

// typedTimings collects each row's time, as the caller measured it.
type typedTimings struct {
	mu   sync.Mutex
	rows map[string][]float64
	keys []string
}

func (tt *typedTimings) add(peer, dir, row string, ms float64) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.rows == nil {
		tt.rows = map[string][]float64{}
	}
	k := peer + "\t" + dir + "\t" + row
	if _, ok := tt.rows[k]; !ok {
		tt.keys = append(tt.keys, k)
	}
	tt.rows[k] = append(tt.rows[k], ms)
}

func (tt *typedTimings) log(t *testing.T) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var b strings.Builder
	b.WriteString("typed rows (time as the caller measured it" + typedRaceNote() + "):\n")
	for _, k := range tt.keys {
		v := append([]float64(nil), tt.rows[k]...)
		sort.Float64s(v)
		fmt.Fprintf(&b, "  %-40s %9.1f ms\n", strings.ReplaceAll(k, "\t", " "), v[len(v)/2])
	}
	t.Log(b.String())
}

func typedRaceNote() string {
	if raceDetector {
		return "; under -race, which slows deflate and so the large rows"
	}
	return ""
}
