// Command agent serves the example frontend (example/web): it joins a
// LiveKit room as the voice agent with lkrpc.Connect and serves VoiceAgent
// (example/agent), and it serves the built page (example/web/dist) with a
// /config endpoint that hands the page the server URL and a join token for
// the same room, as an application's token server would.
//
//	LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \
//	  go run ./example/web/agent -listen 127.0.0.1:8080 -dir example/web/dist
//
// example/web/run.sh runs it against a local livekit-server and checks the
// page in headless Chromium.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

const agentIdentity = "agent"

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve the page on")
	dir := flag.String("dir", "example/web/dist", "the built page (npm run build in example/web)")
	room := flag.String("room", "", "room to join (default: a fresh name)")
	flag.Parse()
	if err := run(*listen, *dir, *room); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}

func run(listen, dir, room string) error {
	url, key, secret := os.Getenv("LIVEKIT_URL"), os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if url == "" || key == "" || secret == "" {
		return errors.New("set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET")
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no built page at %s (run npm ci && npm run build in example/web): %w", dir, err)
	}
	if room == "" {
		room = "lkrpc-web-" + randomHex(4)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	token := func(identity string) (string, error) {
		return auth.NewAccessToken(key, secret).SetIdentity(identity).SetValidFor(time.Hour).
			// canUpdateOwnMetadata: the agent advertises VoiceAgent (discovery).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanUpdateOwnMetadata: new(true)}).ToJWT()
	}
	agentToken, err := token(agentIdentity)
	if err != nil {
		return err
	}
	joinCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	conn, err := lkrpc.Connect(joinCtx, url, agentToken)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close()
	unregister, err := agentv1.RegisterVoiceAgentHandler(conn, agent.New("alloy", "echo"))
	if err != nil {
		return err
	}
	defer unregister()

	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		tok, err := token("frontend-" + randomHex(3))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"url": url, "token": tok, "agent": agentIdentity})
	})
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	slog.Info("agent: serving VoiceAgent", "room", room, "page", "http://"+ln.Addr().String()+"/")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
