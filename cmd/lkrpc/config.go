package main

import (
	"crypto/rand"
	"flag"
	"strings"
	"time"

	"github.com/livekit/protocol/auth"
)

// server is where to connect and as whom, configured like LiveKit's own
// CLI: LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, each
// overridden by its flag.
type server struct {
	url, apiKey, apiSecret, room, identity string
}

// addFlags declares the connection flags on fs. The environment fills
// what they leave empty (in check, so that help never prints a secret).
func (s *server) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.url, "url", "", "LiveKit server `URL` (ws://, wss://, http:// or https://; env LIVEKIT_URL)")
	fs.StringVar(&s.apiKey, "api-key", "", "API `key` (env LIVEKIT_API_KEY)")
	fs.StringVar(&s.apiSecret, "api-secret", "", "API `secret` (env LIVEKIT_API_SECRET)")
	fs.StringVar(&s.room, "room", "", "`name` of the room (required)")
}

// check fills what the flags left empty from getenv and reports the first
// missing setting.
func (s *server) check(getenv func(string) string) error {
	for _, v := range []struct {
		field *string
		env   string
	}{{&s.url, "LIVEKIT_URL"}, {&s.apiKey, "LIVEKIT_API_KEY"}, {&s.apiSecret, "LIVEKIT_API_SECRET"}} {
		if *v.field == "" {
			*v.field = getenv(v.env)
		}
	}
	switch {
	case s.url == "":
		return usagef("no server: set LIVEKIT_URL or --url")
	case s.apiKey == "" || s.apiSecret == "":
		return usagef("no API key and secret: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or --api-key and --api-secret")
	case s.room == "":
		return usagef("no room: give --room")
	}
	return nil
}

// joinToken is a token to join the room as s.identity, or as a fresh
// lkrpc-cli-<random> identity when none was given. It may send data but
// not media, and it never advertises anything.
func (s *server) joinToken() (identity, token string, err error) {
	identity = s.identity
	if identity == "" {
		identity = "lkrpc-cli-" + strings.ToLower(rand.Text()[:8])
	}
	at := auth.NewAccessToken(s.apiKey, s.apiSecret).
		SetIdentity(identity).
		SetValidFor(time.Hour).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: s.room})
	at.SetName("lkrpc command")
	token, err = at.ToJWT()
	return identity, token, err
}
