package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link/peer"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// browserResult is what peer.js's call returns.
type browserResult struct {
	OK      bool    `json:"ok"`
	Echoed  bool    `json:"echoed"`
	Length  int     `json:"length"`
	Code    int     `json:"code"`
	Message string  `json:"message"`
	Data    string  `json:"data"`
	MS      float64 `json:"ms"`
}

// size is one payload size of the matrix, with the transport a
// client-protocol-2 + deflate sender must choose for random text.
type size struct {
	name    string
	payload string
	want    func(transport.Transfer) bool
	wantStr string
	reps    int
}

func matrixSizes() []size {
	v2 := func(tr transport.Transfer) bool {
		return tr.Kind == transport.KindInline || tr.Kind == transport.KindStream
	}
	stream := func(tr transport.Transfer) bool { return tr.Kind == transport.KindStream && tr.Compressed }
	return []size{
		{"16B", randomText(16, 11), func(tr transport.Transfer) bool { return tr.Kind == transport.KindInline && !tr.Compressed }, "v2 single packet, uncompressed", 5},
		{"15KiB", randomText(15<<10, 12), v2, "v2 (single packet or stream)", 5},
		{"100KiB", randomText(100<<10, 13), stream, "v2 stream, deflate", 5},
		{"1MiB", randomText(1<<20, 14), stream, "v2 stream, deflate", 5},
		{"10MiB", randomText(10<<20, 15), stream, "v2 stream, deflate", 2},
	}
}

// joinBrowserAndEngine puts a Go engine on a participant link and
// livekit-client 2.23.0 in Chromium in one room, each seeing the other.
func joinBrowserAndEngine(t *testing.T) (*browserPeer, *peer.Link, *engine.Engine) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "go-engine")
	eng := engine.New(l)
	t.Cleanup(func() { _ = eng.Close() })

	b := startBrowser(t)
	var joined struct{ Identity, Version string }
	start := time.Now()
	b.must(20*time.Second, &joined, "connect", srv.URL, srv.Token(t, "browser", room))
	t.Logf("browser (livekit-client %s) joined in %v", joined.Version, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { _ = b.call(5*time.Second, nil, "disconnect") })
	b.must(lkserver.AnnounceWithin, nil, "waitFor", "go-engine", lkserver.AnnounceWithin.Milliseconds())
	p := lkserver.WaitParticipant(t, l, "browser")
	if p.ClientProtocol != 2 || !p.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) {
		t.Fatalf("livekit-client seen with protocol %d caps %v, want 2 with deflate", p.ClientProtocol, p.Capabilities)
	}
	return b, l, eng
}

func TestBrowserCallsGoEngine(t *testing.T) {
	b, _, eng := joinBrowserAndEngine(t)
	arrived := make(chan transport.Transfer, 64)
	if _, err := eng.Register(greetMethod, func(_ context.Context, req *transport.Request) (string, error) {
		arrived <- req.Transfer
		switch req.Payload {
		case "fail":
			return "", &rpcerr.Error{Code: 2001, Message: "no greeting today", Data: `{"why":"asked to"}`}
		case "slow":
			time.Sleep(2 * time.Second)
		}
		return req.Payload, nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, sz := range matrixSizes() {
		t.Run(sz.name, func(t *testing.T) {
			var ts timings
			for range sz.reps {
				var r browserResult
				b.must(60*time.Second, &r, "call", "go-engine", greetMethod, sz.payload, 30000, true)
				if !r.OK || !r.Echoed {
					t.Fatalf("browser call: %+v", r)
				}
				ts = append(ts, time.Duration(r.MS*float64(time.Millisecond)))
				if tr := <-arrived; !sz.want(tr) {
					t.Fatalf("the browser's request arrived as %v (%d packets), want %s", tr, tr.Packets, sz.wantStr)
				}
			}
			ts.log(t, fmt.Sprintf("browser→Go round trip %s", sz.name))
		})
	}
	t.Run("application error with data", func(t *testing.T) {
		var r browserResult
		b.must(15*time.Second, &r, "call", "go-engine", greetMethod, "fail", 15000, false)
		<-arrived
		if r.OK || r.Code != 2001 || r.Message != "no greeting today" || r.Data != `{"why":"asked to"}` {
			t.Fatalf("browser got %+v, want 2001 with message and data", r)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		var r browserResult
		b.must(15*time.Second, &r, "call", "go-engine", "no.such/Method", "x", 15000, false)
		if r.OK || r.Code != rpcerr.UnsupportedMethod {
			t.Fatalf("browser got %+v, want 1400", r)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		var r browserResult
		b.must(15*time.Second, &r, "call", "go-engine", greetMethod, "slow", 1000, false)
		<-arrived
		if r.OK || r.Code != rpcerr.ResponseTimeout {
			t.Fatalf("browser got %+v, want 1502", r)
		}
	})
}

func TestGoEngineCallsBrowser(t *testing.T) {
	b, _, eng := joinBrowserAndEngine(t)
	b.must(5*time.Second, nil, "serve", greetMethod)
	ctx := context.Background()

	for _, sz := range matrixSizes() {
		t.Run(sz.name, func(t *testing.T) {
			var ts timings
			for range sz.reps {
				start := time.Now()
				reply, err := eng.Call(ctx, transport.Call{Destination: "browser", Method: greetMethod, Payload: sz.payload, Timeout: 30 * time.Second})
				ts = append(ts, time.Since(start))
				if err != nil {
					t.Fatal(err)
				}
				if reply.Payload != sz.payload {
					t.Fatalf("echo of %d bytes came back as %d bytes", len(sz.payload), len(reply.Payload))
				}
				if !sz.want(reply.Request) || !sz.want(reply.Response) {
					t.Fatalf("request %v, response %v; want %s both ways", reply.Request, reply.Response, sz.wantStr)
				}
			}
			ts.log(t, fmt.Sprintf("Go→browser round trip %s", sz.name))
		})
	}
	t.Run("application error with data", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "browser", Method: greetMethod, Payload: "fail"})
		e, ok := rpcerr.From(err)
		if !ok || e.Code != 2004 || e.Message != "browser refused" || e.Data != `{"from":"browser"}` {
			t.Fatalf("Call = %v, want 2004 with message and data", err)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "browser", Method: "no.such/Method", Payload: "x"})
		if rpcerr.Code(err) != rpcerr.UnsupportedMethod {
			t.Fatalf("Call = %v, want 1400", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		_, err := eng.Call(ctx, transport.Call{Destination: "browser", Method: greetMethod, Payload: "slow", Timeout: time.Second})
		if rpcerr.Code(err) != rpcerr.ResponseTimeout {
			t.Fatalf("Call = %v, want 1502", err)
		}
	})
}
