package rtc_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// eventSink is a link.Receiver that hands participant events to the test.
type eventSink struct{ events chan link.Event }

func (s eventSink) ReceivePacket(*livekit.DataPacket) {}
func (s eventSink) Disconnected(error)                {}
func (s eventSink) ParticipantChanged(ev link.Event) {
	select {
	case s.events <- ev:
	default: // the test reads only what it waits for
	}
}

// A participant's kind and attributes — from its token, from its join, and
// changed later by the server API — reach the other participants' links,
// which the runtime's authorizers rely on.
func TestE2EParticipantKindAndAttributes(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel() // own room; only waiting for announcements takes time
	room := lkserver.RoomName(t)
	observer := srv.ConnectLink(t, room, "observer")
	sink := eventSink{events: make(chan link.Event, 64)}
	observer.Attach(sink)

	token := srv.TokenWith(t, "agent", room, func(at *auth.AccessToken, g *auth.VideoGrant) {
		at.SetKind(livekit.ParticipantInfo_AGENT).SetAttributes(map[string]string{"role": "dispatcher"})
		g.SetCanUpdateOwnMetadata(true) // lets the join's own attributes through
	})
	srv.ConnectLinkWithToken(t, "agent", token, rtc.WithAttributes(map[string]string{"lang": "en"}))

	want := map[string]string{"role": "dispatcher", "lang": "en"}
	p := waitEvent(t, sink, "agent", func(p link.Participant) bool { return maps.Equal(p.Attributes, want) })
	if p.Kind != livekit.ParticipantInfo_AGENT {
		t.Fatalf("agent seen as kind %v, want AGENT", p.Kind)
	}
	if got, _ := observer.Participant("agent"); got.Kind != livekit.ParticipantInfo_AGENT || !maps.Equal(got.Attributes, want) {
		t.Fatalf("Participant(agent) = %+v, want kind AGENT and attributes %v", got, want)
	}

	// A backend changes an attribute through the server API: an Updated
	// event carries it, and Participant reports it.
	rooms := lksdk.NewRoomServiceClient(lkserver.HTTPURL, lkserver.APIKey, lkserver.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rooms.UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{
		Room: room, Identity: "agent", Attributes: map[string]string{"role": "supervisor"},
	}); err != nil {
		t.Fatalf("UpdateParticipant: %v", err)
	}
	want = map[string]string{"role": "supervisor", "lang": "en"}
	waitEvent(t, sink, "agent", func(p link.Participant) bool { return maps.Equal(p.Attributes, want) })
	if got, _ := observer.Participant("agent"); !maps.Equal(got.Attributes, want) {
		t.Fatalf("Participant(agent) attributes %v after the update, want %v", got.Attributes, want)
	}
}

// waitEvent waits for a Joined or Updated event about identity whose
// participant satisfies ok.
func waitEvent(t *testing.T, sink eventSink, identity string, ok func(link.Participant) bool) link.Participant {
	t.Helper()
	deadline := time.After(lkserver.AnnounceWithin)
	var last link.Participant
	for {
		select {
		case ev := <-sink.events:
			if ev.Participant.Identity != identity || ev.Kind == link.Left {
				continue
			}
			last = ev.Participant
			if ok(last) {
				return last
			}
		case <-deadline:
			t.Fatalf("no event about %s with the expected info within %v; last seen %+v", identity, lkserver.AnnounceWithin, last)
		}
	}
}
