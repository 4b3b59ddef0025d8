package greeter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/livekit/protocol/auth"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

// Join joins the LiveKit room named room on the server at LIVEKIT_URL as
// identity, with a token it mints from LIVEKIT_API_KEY and
// LIVEKIT_API_SECRET: the variables LiveKit's CLI reads. (In production a
// token server mints the tokens, and the API secret stays on it.)
func Join(ctx context.Context, room, identity string) (*lkrpc.Conn, error) {
	url := os.Getenv("LIVEKIT_URL")
	key, secret := os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if url == "" || key == "" || secret == "" {
		return nil, errors.New("set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET " +
			"(livekit-server --dev: ws://127.0.0.1:7880, devkey, secret); " +
			"without a server, `go run ./cmd/inmemory` runs server and client in one process")
	}
	token, err := auth.NewAccessToken(key, secret).
		// canUpdateOwnMetadata lets the Conn advertise the services it serves
		// (the lkrpc.services attribute, read with Conn.Serves).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanUpdateOwnMetadata: new(true)}).
		SetIdentity(identity).
		SetValidFor(time.Hour).
		ToJWT()
	if err != nil {
		return nil, fmt.Errorf("mint a token: %w", err)
	}
	return lkrpc.Connect(ctx, url, token)
}
