package rtc_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// These need no server: Connect must fail fast and say why.

func TestConnectRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	for name, opt := range map[string]rtc.Option{
		"protocol 3":         rtc.WithClientProtocol(3),
		"negative protocol":  rtc.WithClientProtocol(-1),
		"small high water":   rtc.WithSendBuffer(1024, 0),
		"low above high":     rtc.WithSendBuffer(128<<10, 256<<10),
		"zero queue":         rtc.WithMaxQueuedBytes(0),
		"zero leave wait":    rtc.WithLeaveTimeout(0),
		"zero connect wait":  rtc.WithConnectTimeout(0),
		"nil logger":         rtc.WithLogger(nil),
		"negative reconnect": rtc.WithReconnect(-time.Second),
		"nil state handler":  rtc.WithStateHandler(nil),
	} {
		if l, err := rtc.Connect(ctx, "ws://127.0.0.1:1", "token", opt); err == nil || !strings.HasPrefix(err.Error(), "rtc: ") {
			if l != nil {
				_ = l.Close()
			}
			t.Errorf("%s: Connect = %v, want a peer: error", name, err)
		}
	}
	if _, err := rtc.Connect(ctx, "", "token"); err == nil {
		t.Error("Connect without a URL succeeded")
	}
	if _, err := rtc.Connect(ctx, "ws://127.0.0.1:1", ""); err == nil {
		t.Error("Connect without a token succeeded")
	}
}

// Each invalid recovery option is an error naming the option.
func TestRecoveryOptionErrorsNameTheOption(t *testing.T) {
	for name, opt := range map[string]rtc.Option{
		"WithReconnect":    rtc.WithReconnect(-time.Second),
		"WithStateHandler": rtc.WithStateHandler(nil),
	} {
		_, err := rtc.Connect(context.Background(), "ws://127.0.0.1:1", "token", opt)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Connect with a bad %s = %v, want an error naming it", name, err)
		}
	}
}

func TestConnectToNothingSaysTheServerIsUnreachable(t *testing.T) {
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = rtc.Connect(ctx, "ws://"+addr, "token")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the server") {
		t.Fatalf("Connect to a closed port = %v, want a 'cannot reach the server' error", err)
	}
}

// silentWebSocketServer accepts the signal WebSocket and then says nothing,
// like a wedged server. The handshake is done by hand (RFC 6455 §4.2.2) to
// need no WebSocket library here.
func silentWebSocketServer(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		rw.Flush()
		<-release
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func TestConnectGivesUpOnASilentServer(t *testing.T) {
	url := silentWebSocketServer(t)
	start := time.Now()
	_, err := rtc.Connect(context.Background(), url, "token", rtc.WithConnectTimeout(300*time.Millisecond))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no JoinResponse") {
		t.Fatalf("Connect to a silent server = %v, want a 'no JoinResponse' deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Connect took %v to give up, want about the 300 ms timeout", d)
	}
}
