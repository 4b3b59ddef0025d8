package datastream

import (
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/internal/wirevectors"
)

// vector decodes one packet of the wire vectors (package wirevectors, which
// embeds them), without its sequence number (a link's field, not this
// package's).
func vector(t *testing.T, name string) *livekit.DataPacket {
	t.Helper()
	pkt, err := wirevectors.Packet(name)
	if err != nil {
		t.Fatal(err)
	}
	pkt.Sequence = 0
	return pkt
}

// withoutTotalLength returns a copy of a header packet without
// total_length: the vectors come from livekit-client 2.19, which omits it;
// this package always sets it (PROTOCOL.md §3.2 allows both).
func withoutTotalLength(t *testing.T, pkt *livekit.DataPacket, want uint64) *livekit.DataPacket {
	t.Helper()
	c := proto.Clone(pkt).(*livekit.DataPacket)
	h := c.GetStreamHeader()
	if h.TotalLength == nil || *h.TotalLength != want {
		t.Fatalf("total_length = %v, want %d", h.TotalLength, want)
	}
	h.TotalLength = nil
	return c
}

func TestMatchesRequestVectors(t *testing.T) {
	o := Outgoing{
		StreamID:  testStreamID,
		Topic:     "lk.rpc_request",
		Timestamp: 1760000000000,
		Attributes: map[string]string{
			"lk.rpc_request_id":                  "11111111-2222-4333-8444-555555555555",
			"lk.rpc_request_method":              "echo",
			"lk.rpc_request_response_timeout_ms": "15000",
			"lk.rpc_request_version":             "2",
		},
		Destinations: []string{"bob"},
		Text:         "héllo",
	}
	pkts, _ := encodeAll(t, o, SendOptions{})
	if len(pkts) != 3 {
		t.Fatalf("%d packets, want header, chunk, trailer", len(pkts))
	}
	want := []*livekit.DataPacket{vector(t, "v2_request_header"), vector(t, "v2_request_chunk0"), vector(t, "v2_request_trailer")}
	got := []*livekit.DataPacket{withoutTotalLength(t, pkts[0], 6), pkts[1], pkts[2]}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("packet %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

func TestMatchesResponseHeaderVector(t *testing.T) {
	o := Outgoing{
		StreamID:     testStreamID,
		Topic:        "lk.rpc_response",
		Timestamp:    1760000000000,
		Attributes:   map[string]string{"lk.rpc_request_id": "11111111-2222-4333-8444-555555555555"},
		Destinations: []string{"alice"},
		Text:         "ok",
	}
	pkts, _ := encodeAll(t, o, SendOptions{})
	if got, want := withoutTotalLength(t, pkts[0], 2), vector(t, "v2_response_header"); !proto.Equal(got, want) {
		t.Errorf("response header:\n got %v\nwant %v", got, want)
	}
}

// The vectors' header has no total_length: a stream from livekit-client
// 2.19 must still reassemble.
func TestAssemblesRequestVectors(t *testing.T) {
	a := NewAssembler(Limits{}, nil)
	var evs []Event
	for _, name := range []string{"v2_request_header", "v2_request_chunk0", "v2_request_trailer"} {
		pkt := vector(t, name)
		pkt.ParticipantIdentity = "alice"
		evs = append(evs, a.Feed(pkt)...)
	}
	if len(evs) != 2 || evs[0].Kind != Opened || evs[1].Kind != Completed {
		t.Fatalf("events %s", kinds(evs))
	}
	if evs[1].Text != "héllo" || evs[1].Header.Attributes["lk.rpc_request_method"] != "echo" || evs[1].Sender != "alice" {
		t.Fatalf("completed: %+v", evs[1])
	}
	if evs[1].Info != (Info{Packets: 3, WireBytes: 6}) {
		t.Fatalf("info %+v", evs[1].Info)
	}
}
