package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"

	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
)

func newRoom(t *testing.T) *memroom.Room {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	return room
}

// An option given a value it cannot use fails the connect with an error
// naming the option, and a link handed to ConnectLink is closed with it.
func TestConnectRefusesInvalidOptions(t *testing.T) {
	room := newRoom(t)
	for _, c := range []struct {
		opt  lkrpc.ConnectOption
		name string
	}{
		{lkrpc.WithLogger(nil), "WithLogger"},
		{lkrpc.WithSDKLogger(nil), "WithSDKLogger"},
		{lkrpc.WithClientProtocol(7), "WithClientProtocol"},
		{lkrpc.WithEngineOptions(engine.WithAckTimeout(-time.Second)), "WithAckTimeout"},
		{lkrpc.WithReconnect(-time.Second), "WithReconnect"},
		{lkrpc.WithConnectionState(nil), "WithConnectionState"},
	} {
		if _, err := lkrpc.ConnectMemory(room, "alice", c.opt); err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: ConnectMemory = %v, want an error naming it", c.name, err)
		}
	}
	l, err := room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lkrpc.ConnectLink(l, lkrpc.WithLogger(nil)); err == nil {
		t.Fatal("ConnectLink accepted a nil logger")
	}
	if err := l.Send(context.Background(), &livekit.DataPacket{}); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("Send on the link handed to a failed ConnectLink = %v, want link.ErrClosed", err)
	}
}

// Close is the one thing to end: it leaves the room (the others see the
// participant go), ends Done with a nil Err, and is harmless twice.
func TestConnCloseLeavesTheRoom(t *testing.T) {
	room := newRoom(t)
	alice, err := lkrpc.ConnectMemory(room, "alice", lkrpc.WithAttributes(map[string]string{"role": "agent"}))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := lkrpc.ConnectMemory(room, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := bob.WaitParticipant(ctx, "alice")
	if err != nil || p.Attributes["role"] != "agent" {
		t.Fatalf("bob sees alice as %+v, %v; want her with her attributes", p, err)
	}
	if alice.Identity() != "alice" {
		t.Errorf("Identity = %q", alice.Identity())
	}

	if err := alice.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-alice.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after Close")
	}
	if err := alice.Err(); err != nil {
		t.Errorf("Err after Close = %v, want nil", err)
	}
	if err := alice.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	for {
		if _, ok := bob.Participant("alice"); !ok {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("bob still sees alice after her Close")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// A Conn lost with its room reports why.
func TestConnDoneWhenTheRoomRemovesIt(t *testing.T) {
	room := newRoom(t)
	alice, err := lkrpc.ConnectMemory(room, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	room.Remove("alice", context.Canceled)
	select {
	case <-alice.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the room removed the participant")
	}
	if alice.Err() == nil {
		t.Error("Err = nil after removal, want the reason")
	}
}
