package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// goIdentity is the Go engine's identity in every matrix room.
const goIdentity = "go-engine"

// matrixPeer is the far side of the interop matrix: a real SDK, used the
// way its developers use it.
type matrixPeer interface {
	// callGo makes the peer call method on the Go engine with its own SDK
	// (performRpc / PerformRpc) and reports what the SDK returned. With
	// echo the peer compares the reply with the payload itself and leaves
	// the reply out of the outcome (a large one need not come back).
	callGo(t *testing.T, method, payload string, timeout time.Duration, echo bool) peerOutcome
	// serve makes the peer serve method with its SDK: echo the payload,
	// answer "fail" with an application error carrying data, take 2 s
	// over "slow…".
	serve(t *testing.T, method string)
	// servePing makes the peer serve the example VoiceAgent's "ping" by
	// hand: a PingResponse in protojson.
	servePing(t *testing.T, method string)
}

// peerOutcome is what a peer's SDK returned for one call it made.
type peerOutcome struct {
	OK      bool    `json:"ok"`
	Echoed  bool    `json:"echoed"`
	Payload string  `json:"payload"`
	Length  int     `json:"length"`
	Code    int     `json:"code"`
	Message string  `json:"message"`
	Data    string  `json:"data"`
	MS      float64 `json:"ms"` // measured by the peer
	// Attempts is how many times the peer sent the call: a stock peer
	// retries its known ack race once, and both attempts are on the wire.
	Attempts int `json:"-"`
}

// String leaves the payload out: it may be megabytes.
func (o peerOutcome) String() string {
	if o.OK {
		return fmt.Sprintf("ok, %d bytes back (echoed %v) in %.1f ms", o.Length, o.Echoed, o.MS)
	}
	return fmt.Sprintf("error %d %q data %q after %.1f ms", o.Code, o.Message, o.Data, o.MS)
}

func (o peerOutcome) duration() time.Duration { return time.Duration(o.MS * float64(time.Millisecond)) }

// peerKind is one row group of the matrix.
type peerKind struct {
	name     string // as printed
	identity string
	v2       bool // advertises client protocol 2 with deflate (else 0)
	// packetReplies: answers a small request that came as a v1 packet with
	// a v1 packet (rtc-node's Rust core), where livekit-client answers a
	// v2 caller with a stream whatever the request's form.
	packetReplies bool
	appErr        rpcerr.Error
	join          func(t *testing.T, srv *lkserver.Server, room, identity string) matrixPeer
}

func matrixPeerKinds() []peerKind {
	return []peerKind{
		{
			name: "livekit-client 2.23.0", identity: "browser", v2: true,
			appErr: rpcerr.Error{Code: 2004, Message: "browser refused", Data: `{"from":"browser"}`},
			join:   joinJS(func(t *testing.T) *jsPeer { return startBrowser(t, "livekit-client") }, "2.23.0"),
		},
		{
			name: "rtc-node 1.1.0", identity: "node", v2: true, packetReplies: true,
			appErr: rpcerr.Error{Code: 2005, Message: "node refused", Data: `{"from":"node"}`},
			join:   joinJS(startNode, "1.1.0"),
		},
		{
			name: "server-sdk-go v2.18.1", identity: "stock-go",
			appErr: rpcerr.Error{Code: 2002, Message: "stock says no", Data: `{"n":1}`},
			join:   joinStock,
		},
		{
			name: "livekit-client 2.18.10", identity: "browser-218",
			appErr: rpcerr.Error{Code: 2004, Message: "browser refused", Data: `{"from":"browser"}`},
			join:   joinJS(func(t *testing.T) *jsPeer { return startBrowser(t, "livekit-client-218") }, "2.18.10"),
		},
	}
}

// jsMatrixPeer is a browser or Node peer.
type jsMatrixPeer struct{ p *jsPeer }

// joinJS starts a JavaScript peer and joins it to room, checking that it
// runs the SDK version the matrix names.
func joinJS(start func(*testing.T) *jsPeer, version string) func(*testing.T, *lkserver.Server, string, string) matrixPeer {
	return func(t *testing.T, srv *lkserver.Server, room, identity string) matrixPeer {
		p := start(t)
		var joined struct{ Identity, Version string }
		p.must(20*time.Second, &joined, "connect", srv.URL, srv.Token(t, identity, room))
		if joined.Version != version {
			t.Fatalf("%s runs SDK %s, want %s", p.Name(), joined.Version, version)
		}
		t.Cleanup(func() { _ = p.call(5*time.Second, nil, "disconnect") })
		p.must(lkserver.AnnounceWithin+time.Second, nil, "waitFor", goIdentity, lkserver.AnnounceWithin.Milliseconds())
		return jsMatrixPeer{p}
	}
}

func (j jsMatrixPeer) callGo(t *testing.T, method, payload string, timeout time.Duration, echo bool) peerOutcome {
	t.Helper()
	var o peerOutcome
	j.p.must(timeout+60*time.Second, &o, "call", goIdentity, method, payload, timeout.Milliseconds(), echo)
	return o
}

func (j jsMatrixPeer) serve(t *testing.T, method string) {
	t.Helper()
	j.p.must(5*time.Second, nil, "serve", method)
}

func (j jsMatrixPeer) servePing(t *testing.T, method string) {
	t.Helper()
	j.p.must(5*time.Second, nil, "servePing", method)
}

// stockMatrixPeer is a plain *lksdk.Room using only the SDK's own RPC calls.
type stockMatrixPeer struct{ st *lkserver.Stock }

func joinStock(t *testing.T, srv *lkserver.Server, room, identity string) matrixPeer {
	st := srv.StockRoom(t, room, identity, nil)
	st.WaitSees(t, goIdentity)
	return stockMatrixPeer{st}
}

// stockAckRace explains the one retry the tests allow a stock PerformRpc.
const stockAckRace = "server-sdk-go v2.18.1's PerformRpc publishes before it registers the pending call, " +
	"so an ack that arrives in between is dropped (\"ack received for unexpected RPC request\") and the call ends with 1501 after 7 s"

func (s stockMatrixPeer) callGo(t *testing.T, method, payload string, timeout time.Duration, echo bool) peerOutcome {
	o := s.callGoOnce(t, method, payload, timeout, echo)
	if !o.OK && o.Code == rpcerr.ConnectionTimeout {
		t.Logf("%s: %v; retrying once (%s)", method, o, stockAckRace)
		o = s.callGoOnce(t, method, payload, timeout, echo)
		o.Attempts = 2
	}
	return o
}

func (s stockMatrixPeer) callGoOnce(t *testing.T, method, payload string, timeout time.Duration, echo bool) peerOutcome {
	start := time.Now()
	got, err := s.st.LocalParticipant.PerformRpc(lksdk.PerformRpcParams{
		DestinationIdentity: goIdentity, Method: method, Payload: payload, ResponseTimeout: &timeout,
	})
	o := peerOutcome{MS: float64(time.Since(start)) / float64(time.Millisecond)}
	var re *lksdk.RpcError
	switch {
	case err == nil:
		o.OK, o.Length, o.Echoed = true, len(*got), *got == payload
		if !echo {
			o.Payload = *got
		}
	case errors.As(err, &re):
		o.Code, o.Message = int(re.Code), re.Message
		if re.Data != nil {
			o.Data = *re.Data
		}
	default:
		t.Fatalf("PerformRpc: %v", err)
	}
	return o
}

func (s stockMatrixPeer) serve(t *testing.T, method string) {
	err := s.st.RegisterRpcMethod(method, func(d lksdk.RpcInvocationData) (string, error) {
		switch {
		case d.Payload == "fail":
			return "", lksdk.NewRpcError(2002, "stock says no", ptr(`{"n":1}`))
		case strings.HasPrefix(d.Payload, "slow"):
			time.Sleep(2 * time.Second) // the handler is slow on purpose
		}
		return d.Payload, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s stockMatrixPeer) servePing(t *testing.T, method string) {
	err := s.st.RegisterRpcMethod(method, func(lksdk.RpcInvocationData) (string, error) {
		return `{"time":"` + time.Now().UTC().Format(time.RFC3339Nano) + `"}`, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
