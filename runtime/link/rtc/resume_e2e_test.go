package rtc_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// The signal WebSocket drops while the peer connection stays up: the link
// resumes the session, keeps its SID and data channel, and keeps hearing
// the room (a participant who joins afterwards is reported).
func TestE2EResumesAfterSignalDrop(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	resumed := make(chan string, 1)
	logs := slog.New(logr.ToSlogHandler(funcr.New(func(_, args string) {
		if strings.Contains(args, "participant link resumed its session") {
			resumed <- args
		}
	}, funcr.Options{Verbosity: 0})))
	a := srv.ConnectLink(t, room, "resumer", rtc.WithLogger(logs))
	arec := newRecorder()
	a.Attach(arec)
	b := srv.ConnectLink(t, room, "witness")
	brec := newRecorder()
	b.Attach(brec)
	arec.nextEvent(t, link.Joined, "witness", announceWithin)
	sid := a.Local().SID

	dropped := time.Now()
	rtc.DropSignal(a)
	select {
	case line := <-resumed:
		t.Logf("resumed %v after the drop (%s)", time.Since(dropped).Round(time.Microsecond), line)
	case <-time.After(10 * time.Second):
		t.Fatal("no resume within 10 s")
	}

	// The room still reaches it through the resumed signal connection...
	srv.ConnectLink(t, room, "latecomer")
	arec.nextEvent(t, link.Joined, "latecomer", announceWithin)
	if a.Resumes() != 1 {
		t.Fatalf("Resumes() = %d, want 1", a.Resumes())
	}
	t.Logf("the latecomer was reported %v after the drop", time.Since(dropped).Round(time.Millisecond))
	// ...and data still flows, under the same identity and SID.
	if err := a.Send(context.Background(), &livekit.DataPacket{
		DestinationIdentities: []string{"witness"},
		Value:                 &livekit.DataPacket_User{User: &livekit.UserPacket{Payload: []byte("still here")}},
	}); err != nil {
		t.Fatal(err)
	}
	for {
		pkt := brec.nextPacket(t, 5*time.Second)
		if string(pkt.GetUser().GetPayload()) == "still here" {
			if pkt.GetParticipantSid() != sid {
				t.Fatalf("packet from SID %q, want the pre-drop SID %q", pkt.GetParticipantSid(), sid)
			}
			break
		}
	}
	select {
	case err := <-arec.disconnected:
		t.Fatalf("link reported Disconnected(%v) across a resumable drop", err)
	default:
	}
	if p, ok := b.Participant("resumer"); !ok || p.SID != sid {
		t.Fatalf("witness sees resumer as %+v (present %v), want SID %s", p, ok, sid)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := arec.waitDisconnected(t, 5*time.Second); err != nil {
		t.Fatalf("Disconnected(%v) after Close, want nil", err)
	}
}

func TestE2ESignalDropWithoutResumeEndsTheLink(t *testing.T) {
	srv := lkserver.Require(t)
	t.Parallel()
	room := lkserver.RoomName(t)
	l := srv.ConnectLink(t, room, "fragile", rtc.WithResumeTimeout(0), rtc.WithReconnect(0))
	rec := newRecorder()
	l.Attach(rec)
	rtc.DropSignal(l)
	if err := rec.waitDisconnected(t, 5*time.Second); !errors.Is(err, rtc.ErrSignalLost) {
		t.Fatalf("Disconnected(%v), want ErrSignalLost", err)
	}
}
