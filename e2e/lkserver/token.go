package lkserver

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
)

// Token mints a join token for identity in room, valid for an hour, with
// canUpdateOwnMetadata as lkrpc's recipes give it (a Conn advertises its
// services in the discovery attribute with it).
func (s *Server) Token(t testing.TB, identity, room string) string {
	t.Helper()
	return mint(t, APISecret, identity, room)
}

// TokenWithSecret mints a token signed with another secret, which the
// server must refuse.
func (s *Server) TokenWithSecret(t testing.TB, secret, identity, room string) string {
	t.Helper()
	return mint(t, secret, identity, room)
}

// TokenWith mints a join token for identity in room and lets edit set
// more on it before signing: a participant kind, attributes, grants, as an
// application's token server would (g.CanUpdateOwnMetadata = new(false)
// takes the default grant away).
func (s *Server) TokenWith(t testing.TB, identity, room string, edit func(*auth.AccessToken, *auth.VideoGrant)) string {
	t.Helper()
	return mint(t, APISecret, identity, room, edit)
}

func mint(t testing.TB, secret, identity, room string, edits ...func(*auth.AccessToken, *auth.VideoGrant)) string {
	t.Helper()
	grant := &auth.VideoGrant{RoomJoin: true, Room: room, CanUpdateOwnMetadata: new(true)}
	at := auth.NewAccessToken(APIKey, secret).SetIdentity(identity).SetValidFor(time.Hour)
	for _, edit := range edits {
		edit(at, grant)
	}
	tok, err := at.SetVideoGrant(grant).ToJWT()
	if err != nil {
		t.Fatalf("mint token: %v", err)
	}
	return tok
}

var unsafeRoomChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// RoomName returns a fresh room name for this test: its name plus a random
// suffix, so reruns and parallel tests never share a room.
func RoomName(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.Trim(unsafeRoomChars.ReplaceAllString(t.Name(), "-"), "-")
	return name + "-" + hex.EncodeToString(b[:])
}
