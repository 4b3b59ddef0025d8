package rtc

import (
	"errors"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
)

// chanReceiver records deliveries in one ordered log.
type chanReceiver struct{ log chan any }

func newChanReceiver() *chanReceiver { return &chanReceiver{log: make(chan any, 64)} }

func (r *chanReceiver) ReceivePacket(p *livekit.DataPacket) { r.log <- p }
func (r *chanReceiver) ParticipantChanged(ev link.Event)    { r.log <- ev }
func (r *chanReceiver) Disconnected(err error)              { r.log <- disconnected{err} }

type disconnected struct{ err error }

func userPacket(s string) *livekit.DataPacket {
	return &livekit.DataPacket{Value: &livekit.DataPacket_User{User: &livekit.UserPacket{Payload: []byte(s)}}}
}

func TestInboxHoldsUntilAttachThenReportsPresentFirst(t *testing.T) {
	in := newInbox(1 << 20)
	in.pushPacket(userPacket("one"), 10)
	in.pushEvents([]link.Event{{Kind: link.Joined, Participant: link.Participant{Identity: "ignored"}}})
	in.pushPacket(userPacket("two"), 10)

	r := newChanReceiver()
	in.attach(r, []link.Participant{{Identity: "amy"}, {Identity: "bob"}})
	in.pushEvents([]link.Event{{Kind: link.Left, Participant: link.Participant{Identity: "amy"}}})
	in.pushPacket(userPacket("three"), 10)
	in.close(nil)
	<-in.done

	var got []string
	for len(r.log) > 0 {
		switch v := (<-r.log).(type) {
		case *livekit.DataPacket:
			got = append(got, "pkt:"+string(v.GetUser().GetPayload()))
		case link.Event:
			got = append(got, map[link.EventKind]string{link.Joined: "joined:", link.Left: "left:"}[v.Kind]+v.Participant.Identity)
		case disconnected:
			got = append(got, "disconnected")
			if v.err != nil {
				t.Fatalf("Disconnected(%v), want nil", v.err)
			}
		}
	}
	want := []string{"joined:amy", "joined:bob", "pkt:one", "pkt:two", "left:amy", "pkt:three", "disconnected"}
	if len(got) != len(want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delivered %v, want %v", got, want)
		}
	}
}

func TestInboxDropsBeyondItsLimitWithoutBlocking(t *testing.T) {
	in := newInbox(25)
	if !in.pushPacket(userPacket("a"), 10) || !in.pushPacket(userPacket("b"), 10) {
		t.Fatal("packets within the limit refused")
	}
	if in.pushPacket(userPacket("c"), 10) {
		t.Fatal("a packet beyond the limit was queued")
	}
	if in.droppedPackets() != 1 {
		t.Fatalf("dropped = %d, want 1", in.droppedPackets())
	}
	r := newChanReceiver()
	in.attach(r, nil)
	<-r.log
	<-r.log
	in.close(errors.New("bye"))
	<-in.done
	if d, ok := (<-r.log).(disconnected); !ok || d.err == nil {
		t.Fatalf("last delivery %v, want Disconnected with the error", d)
	}
}

func TestInboxClosedBeforeAttachTellsTheLateReceiver(t *testing.T) {
	in := newInbox(100)
	in.pushPacket(userPacket("lost"), 1)
	end := errors.New("ended early")
	in.close(end)
	<-in.done
	err, late := in.attach(newChanReceiver(), nil)
	if !late || !errors.Is(err, end) {
		t.Fatalf("attach after close = %v, %v; want the close error and late", err, late)
	}
}

func TestInboxAttachTwicePanics(t *testing.T) {
	in := newInbox(100)
	defer func() {
		in.close(nil)
		<-in.done
	}()
	in.attach(newChanReceiver(), nil)
	defer func() {
		if recover() == nil {
			t.Fatal("second attach did not panic")
		}
	}()
	in.attach(newChanReceiver(), nil)
}
