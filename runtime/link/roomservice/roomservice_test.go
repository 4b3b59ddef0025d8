package roomservice

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

const (
	testKey    = "devkey"
	testSecret = "secret"
	testRoom   = "room1"
	rpcPath    = "/twirp/livekit.RoomService/PerformRpc"
)

// fakeServer answers PerformRpc as livekit-server v1.13.5 does: answer
// gets the decoded request and writes the reply.
func fakeServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, req *livekit.PerformRpcRequest)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != rpcPath {
			http.Error(w, "bad path "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req livekit.PerformRpcRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("request body: %v", err)
		}
		answer(w, r, &req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	b, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/protobuf")
	_, _ = w.Write(b)
}

// twirpError writes an error body exactly as the real server sent it.
func twirpError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func newTransport(t *testing.T, url string, opts ...Option) *Transport {
	t.Helper()
	tr, err := New(url, testKey, testSecret, testRoom, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestCallSuccessSendsRequestAndAdminToken(t *testing.T) {
	var got atomic.Pointer[livekit.PerformRpcRequest]
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request, req *livekit.PerformRpcRequest) {
		got.Store(req)
		if ms := r.Header.Get("X-Twirp-Timeout-Ms"); ms == "" {
			t.Errorf("no X-Twirp-Timeout-Ms header: the server would retry after the caller gave up")
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		v, err := auth.ParseAPIToken(tok)
		if err != nil {
			t.Errorf("token: %v", err)
		} else if _, claims, err := v.Verify(testSecret); err != nil {
			t.Errorf("verify: %v", err)
		} else if !claims.Video.RoomAdmin || claims.Video.Room != testRoom {
			t.Errorf("grant = %+v, want RoomAdmin on %s", claims.Video, testRoom)
		}
		writeProto(w, &livekit.PerformRpcResponse{Payload: "pong:" + req.Payload})
	})
	// ws:// as the SDKs take it; the transport speaks HTTP.
	tr := newTransport(t, strings.Replace(srv.URL, "http", "ws", 1))
	reply, err := tr.Call(context.Background(), transport.Call{Destination: "agent", Method: "m", Payload: "hi", Timeout: 3 * time.Second})
	if err != nil || reply.Payload != "pong:hi" {
		t.Fatalf("Call = %q, %v", reply.Payload, err)
	}
	if reply.Request.Form != transport.FormPacket || reply.Response.WireBytes != len("pong:hi") {
		t.Fatalf("transfers %+v %+v", reply.Request, reply.Response)
	}
	req := got.Load()
	if req.Room != testRoom || req.DestinationIdentity != "agent" || req.Method != "m" || req.ResponseTimeoutMs != 3000 {
		t.Fatalf("request = %v", req)
	}
}

func TestTimeoutRule(t *testing.T) {
	var ms atomic.Uint32
	srv := fakeServer(t, func(w http.ResponseWriter, _ *http.Request, req *livekit.PerformRpcRequest) {
		ms.Store(req.ResponseTimeoutMs)
		writeProto(w, &livekit.PerformRpcResponse{})
	})
	tr := newTransport(t, srv.URL, WithDefaultTimeout(4*time.Second))
	call := transport.Call{Destination: "a", Method: "m"}
	if _, err := tr.Call(context.Background(), call); err != nil || ms.Load() != 4000 {
		t.Fatalf("default: %d ms, %v", ms.Load(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := tr.Call(ctx, call); err != nil || ms.Load() > 2000 || ms.Load() < 1500 {
		t.Fatalf("ctx deadline: %d ms, %v", ms.Load(), err)
	}
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := tr.Call(past, call); rpcerr.Code(err) != rpcerr.ResponseTimeout {
		t.Fatalf("passed deadline = %v, want 1502", err)
	}
}

// The error bodies below are verbatim what livekit-server v1.13.5 answered
// (e2e TestRoomService).
func TestServerErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   *rpcerr.Error // nil: a Go error containing wantText
		text   string
	}{
		{"application error with data", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 2001: no: greeting today: {\"why\": \"asked to\"}"}`,
			&rpcerr.Error{Code: 2001, Message: "no: greeting today", Data: `{"why": "asked to"}`}, ""},
		{"application error without data", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 1500: Application error in method handler"}`,
			rpcerr.Builtin(rpcerr.ApplicationError), ""},
		{"typed details", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 4040: voice nova is not available: {\"details\":[{\"@type\":\"type.googleapis.com/example.agent.v1.VoiceUnavailable\",\"voiceId\":\"nova\"}]}"}`,
			&rpcerr.Error{Code: 4040, Message: "voice nova is not available", Data: `{"details":[{"@type":"type.googleapis.com/example.agent.v1.VoiceUnavailable","voiceId":"nova"}]}`}, ""},
		{"plain data", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 3000: busy: try later"}`,
			&rpcerr.Error{Code: 3000, Message: "busy", Data: "try later"}, ""},
		{"unknown method", 400,
			`{"code":"invalid_argument","msg":"twirp error unknown: RpcError 1400: Method not supported at destination"}`,
			rpcerr.Builtin(rpcerr.UnsupportedMethod), ""},
		{"timeout", 408,
			`{"code":"canceled","msg":"twirp error unknown: RpcError 1502: Response timeout"}`,
			rpcerr.Builtin(rpcerr.ResponseTimeout), ""},
		{"reply too large", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 1504: Response payload too large"}`,
			rpcerr.Builtin(rpcerr.ResponsePayloadTooLarge), ""},
		{"builtin with data", 500,
			`{"code":"internal","msg":"twirp error unknown: RpcError 1500: Application error in method handler: handler returned a payload that is not valid UTF-8"}`,
			rpcerr.BuiltinData(rpcerr.ApplicationError, "handler returned a payload that is not valid UTF-8"), ""},
		{"unknown destination", 503,
			`{"code":"unavailable","msg":"twirp error unknown: no response from servers"}`,
			rpcerr.BuiltinData(rpcerr.RecipientNotFound, `livekit-server: no response from servers: no participant "agent" in room "room1"`), ""},
		{"token for another room", 401,
			`{"code":"unauthenticated","msg":"permissions denied"}`,
			nil, `refused the API key or secret for room "room1" (unauthenticated): permissions denied`},
		{"bad secret", 401,
			"invalid token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.DaJLA1Mnmzw2iiuiIRE4c4H1Owna6k1Mw058H3hPl80, error: token signature is invalid: signature is invalid\n",
			nil, `refused the API key or secret for room "room1" (unauthenticated): token signature is invalid: signature is invalid`},
		{"something else", 500,
			`{"code":"internal","msg":"room manager unavailable"}`,
			nil, `PerformRpc to "agent" in room "room1" failed: internal: room manager unavailable`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := fakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ *livekit.PerformRpcRequest) {
				if strings.HasPrefix(c.body, "{") {
					twirpError(w, c.status, c.body)
					return
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			})
			tr := newTransport(t, srv.URL)
			_, err := tr.Call(context.Background(), transport.Call{Destination: "agent", Method: "m", Payload: "x"})
			if c.want != nil {
				e, ok := rpcerr.From(err)
				if !ok || *e != *c.want {
					t.Fatalf("err = %#v, want %#v", err, c.want)
				}
				return
			}
			if _, ok := rpcerr.From(err); ok || err == nil || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("err = %v, want a Go error containing %q", err, c.text)
			}
			if strings.Contains(err.Error(), "eyJ") {
				t.Fatalf("err = %v: the token leaked into the error", err)
			}
		})
	}
}

func TestRefusedAtOnce(t *testing.T) {
	var hits atomic.Int32
	srv := fakeServer(t, func(w http.ResponseWriter, _ *http.Request, _ *livekit.PerformRpcRequest) {
		hits.Add(1)
		writeProto(w, &livekit.PerformRpcResponse{})
	})
	tr := newTransport(t, srv.URL)
	ctx := context.Background()
	_, err := tr.Call(ctx, transport.Call{Destination: "a", Method: "m", Payload: strings.Repeat("x", MaxPayloadBytes+1)})
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.RequestPayloadTooLarge || !strings.Contains(e.Message, "lkrpc.Connect") {
		t.Fatalf("over the limit = %v, want 1402 naming lkrpc.Connect", err)
	}
	if _, err := tr.Call(ctx, transport.Call{Destination: "a", Method: "m", Payload: strings.Repeat("x", MaxPayloadBytes)}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	for _, f := range []transport.Form{transport.FormStream, transport.FormInline} {
		_, err := tr.Call(ctx, transport.Call{Destination: "a", Method: "m", Force: f})
		if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.SendFailed || !strings.Contains(e.Message, "lkrpc.Connect") {
			t.Fatalf("%v = %v, want 1505 naming lkrpc.Connect", f, err)
		}
	}
	if _, err := tr.Call(ctx, transport.Call{Destination: "a", Method: "m", Force: transport.FormPacket}); err != nil {
		t.Fatalf("FormPacket: %v", err)
	}
	for _, c := range []transport.Call{{Method: "m"}, {Destination: "a"}, {Destination: "a", Method: "m", Force: 9}} {
		if _, err := tr.Call(ctx, c); rpcerr.Code(err) != rpcerr.SendFailed {
			t.Fatalf("%+v = %v, want 1505", c, err)
		}
	}
	if hits.Load() != 2 {
		t.Fatalf("%d requests reached the server, want 2", hits.Load())
	}
}

func TestCancelReturnsPromptly(t *testing.T) {
	release := make(chan struct{})
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request, _ *livekit.PerformRpcRequest) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	tr := newTransport(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := tr.Call(ctx, transport.Call{Destination: "a", Method: "m", Timeout: 10 * time.Second})
	if !errors.Is(err, context.Canceled) || rpcerr.Code(err) != 0 {
		t.Fatalf("err = %v, want context.Canceled and no RPC code", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v", took)
	}
	// A deadline that passes during the request is 1502.
	dctx, dcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer dcancel()
	if _, err := tr.Call(dctx, transport.Call{Destination: "a", Method: "m"}); rpcerr.Code(err) != rpcerr.ResponseTimeout {
		t.Fatalf("deadline = %v, want 1502", err)
	}
}

func TestServerSilentPastTheTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request, _ *livekit.PerformRpcRequest) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	tr := newTransport(t, srv.URL)
	start := time.Now()
	_, err := tr.Call(context.Background(), transport.Call{Destination: "a", Method: "m", Timeout: time.Millisecond})
	if e, ok := rpcerr.From(err); !ok || e.Code != rpcerr.ResponseTimeout || !strings.Contains(e.Data, "did not answer") {
		t.Fatalf("err = %v, want 1502 saying the server did not answer", err)
	}
	if took := time.Since(start); took < answerSlack || took > answerSlack+2*time.Second {
		t.Fatalf("took %v, want about %v", took, answerSlack)
	}
}

func TestRegisterNamesConnect(t *testing.T) {
	tr := newTransport(t, "http://127.0.0.1:1")
	unregister, err := tr.Register("m", nil)
	if err == nil || unregister != nil || !strings.Contains(err.Error(), "lkrpc.Connect") {
		t.Fatalf("Register = %v, want an error naming lkrpc.Connect", err)
	}
}

func TestNewValidates(t *testing.T) {
	cases := []struct {
		url, key, secret, room string
		opts                   []Option
		want                   string
	}{
		{"ftp://x", testKey, testSecret, testRoom, nil, "scheme"},
		{"http://", testKey, testSecret, testRoom, nil, "no host"},
		{"http://%zz", testKey, testSecret, testRoom, nil, "server URL"},
		{"http://x", "", testSecret, testRoom, nil, "API key"},
		{"http://x", testKey, "", testRoom, nil, "API secret"},
		{"http://x", testKey, testSecret, "", nil, "room name"},
		{"http://x", testKey, testSecret, testRoom, []Option{WithLogger(nil)}, "WithLogger"},
		{"http://x", testKey, testSecret, testRoom, []Option{WithHTTPClient(nil)}, "WithHTTPClient"},
		{"http://x", testKey, testSecret, testRoom, []Option{WithDefaultTimeout(0)}, "WithDefaultTimeout"},
		{"http://x", testKey, testSecret, testRoom, []Option{nil}, "option 0 is nil"},
	}
	for _, c := range cases {
		if _, err := New(c.url, c.key, c.secret, c.room, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q, %q, %q, %q) = %v, want an error naming %q", c.url, c.key, c.secret, c.room, err, c.want)
		}
	}
	if _, err := New("wss://x.example", testKey, testSecret, testRoom,
		WithLogger(slog.Default()), WithHTTPClient(http.DefaultClient), WithDefaultTimeout(time.Second)); err != nil {
		t.Fatal(err)
	}
}
