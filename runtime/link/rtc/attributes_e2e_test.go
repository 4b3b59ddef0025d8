package rtc_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// SetAttributes on a real server: merged as LiveKit merges (a key given ""
// is deleted, others stay), seen by the other participants; refused with an
// error naming canUpdateOwnMetadata when the token lacks it.
func TestE2ESetAttributes(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	observer := srv.ConnectLink(t, room, "observer")
	sink := eventSink{events: make(chan link.Event, 64)}
	observer.Attach(sink)
	agent := srv.ConnectLink(t, room, "agent") // the default token has the grant
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	start := time.Now()
	if err := agent.SetAttributes(ctx, map[string]string{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	answered := time.Since(start)
	waitEvent(t, sink, "agent", func(p link.Participant) bool { return maps.Equal(p.Attributes, map[string]string{"a": "1", "b": "2"}) })
	t.Logf("update answered after %v, seen by the observer after %v", answered, time.Since(start))
	if err := agent.SetAttributes(ctx, map[string]string{"a": ""}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"b": "2"}
	waitEvent(t, sink, "agent", func(p link.Participant) bool { return maps.Equal(p.Attributes, want) })
	if got := agent.Local().Attributes; !maps.Equal(got, want) {
		t.Fatalf("Local().Attributes = %v, want %v", got, want)
	}

	token := srv.TokenWith(t, "no-grant", room, func(_ *auth.AccessToken, g *auth.VideoGrant) {
		g.CanUpdateOwnMetadata = new(false)
	})
	refused := srv.ConnectLinkWithToken(t, "no-grant", token)
	start = time.Now()
	err := refused.SetAttributes(ctx, map[string]string{"a": "1"})
	if !errors.Is(err, link.ErrAttributesRefused) || !strings.Contains(err.Error(), "canUpdateOwnMetadata") {
		t.Fatalf("SetAttributes without the grant = %v, want ErrAttributesRefused naming canUpdateOwnMetadata", err)
	}
	t.Logf("refused after %v: %v", time.Since(start), err)

	_ = agent.Close()
	if err := agent.SetAttributes(ctx, map[string]string{"a": "1"}); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("SetAttributes after Close = %v, want link.ErrClosed", err)
	}
}

var _ link.AttributeSetter = (*rtc.Link)(nil)
