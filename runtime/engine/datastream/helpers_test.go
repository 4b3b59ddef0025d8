package datastream

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

const testStreamID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

func outgoing(text string) Outgoing {
	return Outgoing{
		StreamID:     testStreamID,
		Topic:        "lk.rpc_request",
		Timestamp:    1760000000000,
		Attributes:   map[string]string{"lk.rpc_request_id": "11111111-2222-4333-8444-555555555555"},
		Destinations: []string{"bob"},
		Text:         text,
	}
}

// encodeAll runs Encode and collects its packets.
func encodeAll(t testing.TB, o Outgoing, opts SendOptions) ([]*livekit.DataPacket, Info) {
	t.Helper()
	seq, info, err := Encode(o, opts)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var pkts []*livekit.DataPacket
	for p := range seq {
		pkts = append(pkts, p)
	}
	if len(pkts) != info.Packets {
		t.Fatalf("Info.Packets = %d, iterator yielded %d", info.Packets, len(pkts))
	}
	return pkts, info
}

// overTheWire marshals and unmarshals pkt as the SFU would deliver it,
// with the sender's identity filled in.
func overTheWire(t testing.TB, pkt *livekit.DataPacket, sender string) *livekit.DataPacket {
	t.Helper()
	b, err := proto.Marshal(pkt)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var got livekit.DataPacket
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	got.ParticipantIdentity = sender
	return &got
}

// feedAll feeds packets from sender and returns every event.
func feedAll(t testing.TB, a *Assembler, sender string, pkts []*livekit.DataPacket) []Event {
	t.Helper()
	var evs []Event
	for _, p := range pkts {
		evs = append(evs, a.Feed(overTheWire(t, p, sender))...)
	}
	return evs
}

// roundTrip encodes text, delivers it to a fresh Assembler and checks it
// arrives whole, described as it was sent.
func roundTrip(t *testing.T, text string, opts SendOptions) Info {
	t.Helper()
	pkts, info := encodeAll(t, outgoing(text), opts)
	a := NewAssembler(Limits{}, nil)
	evs := feedAll(t, a, "alice", pkts)
	if len(evs) != 2 || evs[0].Kind != Opened || evs[1].Kind != Completed {
		t.Fatalf("events = %s, want Opened, Completed", kinds(evs))
	}
	got := evs[1]
	if got.Text != text {
		t.Fatalf("text differs: got %d bytes, want %d", len(got.Text), len(text))
	}
	if got.Info != info {
		t.Fatalf("received Info %+v, sent %+v", got.Info, info)
	}
	if got.Sender != "alice" || got.Header.GetTopic() != "lk.rpc_request" {
		t.Fatalf("sender %q topic %q", got.Sender, got.Header.GetTopic())
	}
	if a.Open() != 0 {
		t.Fatalf("Open() = %d after completion", a.Open())
	}
	return info
}

func kinds(evs []Event) string {
	var b strings.Builder
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.Kind.String())
		if e.Err != nil {
			fmt.Fprintf(&b, "(%v)", e.Err)
		}
	}
	return "[" + b.String() + "]"
}

// jsonText returns deterministic JSON-like text of about n bytes, shaped
// like typical API payloads (objects with ids, names, numbers, flags).
func jsonText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"}
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%08x-%04x-4%03x-8%03x-%012x","index":%d,"name":"%s %s","score":%.4f,"active":%t,"tags":["%s","%s"],"count":%d}`,
			r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff,
			i, words[r.IntN(len(words))], words[r.IntN(len(words))], r.Float64()*1000, r.IntN(2) == 0,
			words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(100000))
	}
	b.WriteString(`]}`)
	return b.String()
}

// highEntropyText returns valid UTF-8 whose byte values are spread almost
// evenly over everything UTF-8 allows, so raw DEFLATE cannot save 10 %.
func highEntropyText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for b.Len() < n {
		var c rune
		switch k := r.IntN(179); {
		case k < 128:
			c = rune(r.IntN(0x80))
		case k < 158:
			c = rune(0x80 + r.IntN(0x800-0x80))
		case k < 174:
			c = rune(0x800 + r.IntN(0x10000-0x800))
			if utf8.RuneLen(c) < 0 { // a surrogate
				c = 'x'
			}
		default:
			c = rune(0x10000 + r.IntN(0x110000-0x10000))
		}
		b.WriteRune(c)
	}
	return b.String()
}
