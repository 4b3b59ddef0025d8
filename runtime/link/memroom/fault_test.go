package memroom

import (
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
)

func isMarker(m string) func(Delivery) bool {
	return func(d Delivery) bool { return marker(d.Packet) == m }
}

// faultRoom is alice and bob, with f applied to alice's packets.
func faultRoom(t *testing.T, f FaultFunc) (*Room, *Link, *recorder) {
	t.Helper()
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	_, bob := join(t, r, "bob")
	r.SetFault(f)
	return r, a, bob
}

func TestDropKindDropsOnlyThatKind(t *testing.T) {
	r, a, bob := faultRoom(t, DropKind[*livekit.DataPacket_RpcAck]())
	var faults []Fault
	r.Observe(func(d Delivery) { faults = append(faults, d.Fault) })
	send(t, a, ack("1", "bob"))
	send(t, a, user("after", "bob"))
	expectMarkers(t, bob, "after")
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(faults) != 2 || !faults[0].Drop || faults[1].Drop {
		t.Errorf("observed faults %+v, want the ack dropped and the user packet not", faults)
	}
}

func TestDropWhere(t *testing.T) {
	_, a, bob := faultRoom(t, DropWhere(isMarker("x")))
	send(t, a, user("x", "bob"))
	send(t, a, user("y", "bob"))
	expectMarkers(t, bob, "y")
}

func TestDelayWhereDeliversLaterWithoutHoldingOthers(t *testing.T) {
	_, a, bob := faultRoom(t, DelayWhere(isMarker("late"), time.Millisecond))
	send(t, a, user("late", "bob"))
	send(t, a, user("on-time", "bob"))
	expectMarkers(t, bob, "on-time", "late")
}

func TestPendingDelayEndsWithRoomClose(t *testing.T) {
	r := newTestRoom(t)
	a, _ := join(t, r, "alice")
	b, bob := join(t, r, "bob")
	r.SetFault(DelayWhere(isMarker("late"), time.Hour))
	send(t, a, user("late", "bob"))
	r.SetFault(nil)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	bob.disconnected(t)
	// Room.Close (cleanup) must cancel the pending delay; the goroutine
	// check fails otherwise.
}

func TestDuplicateWhere(t *testing.T) {
	_, a, bob := faultRoom(t, DuplicateWhere(isMarker("twice")))
	send(t, a, user("twice", "bob"))
	send(t, a, user("once", "bob"))
	expectMarkers(t, bob, "twice", "twice", "once")
}

func TestReorderWhereDeliversAfterSendersNextPacket(t *testing.T) {
	_, a, bob := faultRoom(t, ReorderWhere(isMarker("first")))
	send(t, a, user("first", "bob"))
	send(t, a, user("second", "bob"))
	send(t, a, user("third", "bob"))
	expectMarkers(t, bob, "second", "first", "third")
}

func TestReorderedPacketFollowsEvenADroppedNext(t *testing.T) {
	_, a, bob := faultRoom(t, Chain(ReorderWhere(isMarker("first")), DropWhere(isMarker("second"))))
	send(t, a, user("first", "bob"))
	send(t, a, user("second", "bob"))
	send(t, a, user("third", "bob"))
	expectMarkers(t, bob, "first", "third")
}

func stream(id string, chunks int, dest string) []*livekit.DataPacket {
	pkts := []*livekit.DataPacket{{DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_StreamHeader{StreamHeader: &livekit.DataStream_Header{StreamId: id}}}}
	for i := range chunks {
		c := chunk(uint64(i), 3, dest)
		c.GetStreamChunk().StreamId = id
		pkts = append(pkts, c)
	}
	return append(pkts, &livekit.DataPacket{DestinationIdentities: []string{dest},
		Value: &livekit.DataPacket_StreamTrailer{StreamTrailer: &livekit.DataStream_Trailer{StreamId: id}}})
}

func TestCutStreamDropsRestIncludingTrailer(t *testing.T) {
	_, a, bob := faultRoom(t, CutStream("cut", 2))
	for _, p := range stream("cut", 5, "bob") {
		send(t, a, p)
	}
	for _, p := range stream("whole", 3, "bob") {
		send(t, a, p)
	}
	expectMarkers(t, bob, "header", "chunk0", "chunk1", // of "cut"
		"header", "chunk0", "chunk1", "chunk2", "trailer") // of "whole"
}

func TestCutStreamEmptyIDCutsEveryStream(t *testing.T) {
	_, a, bob := faultRoom(t, CutStream("", 0))
	for _, p := range append(stream("s1", 2, "bob"), stream("s2", 2, "bob")...) {
		send(t, a, p)
	}
	send(t, a, user("end", "bob"))
	expectMarkers(t, bob, "header", "header", "end")
}

func TestOnceAppliesFirstFaultOnly(t *testing.T) {
	_, a, bob := faultRoom(t, Once(DropKind[*livekit.DataPacket_RpcAck]()))
	send(t, a, user("not-an-ack", "bob"))
	send(t, a, ack("1", "bob"))
	send(t, a, ack("2", "bob"))
	expectMarkers(t, bob, "not-an-ack", "ack:2")
}

func TestSetFaultNilClears(t *testing.T) {
	r, a, bob := faultRoom(t, DropWhere(func(Delivery) bool { return true }))
	send(t, a, user("lost", "bob"))
	r.SetFault(nil)
	send(t, a, user("kept", "bob"))
	expectMarkers(t, bob, "kept")
}
