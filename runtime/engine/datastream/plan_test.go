package datastream

import (
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// headerSize counts what proto.Size would, for every shape of header Encode
// builds: empty and long fields (varint lengths of 1–3 bytes), empty
// attribute keys and values, negative and zero timestamps, inline content
// (empty, short, long) with and without compression.
func TestHeaderSizeIsProtoSize(t *testing.T) {
	outs := []Outgoing{
		{StreamID: "s", Topic: "t"},
		{StreamID: "9b3c1a2e-0000-4000-8000-000000000000", Topic: "lk.rpc_request", Timestamp: 1764000000000,
			Attributes:   map[string]string{"lk.rpc_request_id": "x", "lk.rpc_request_method": "m", "": "", "k": ""},
			Destinations: []string{"bob"}, Text: "{}"},
		{StreamID: strings.Repeat("i", 200), Topic: strings.Repeat("t", 130), Timestamp: -1,
			Attributes:   map[string]string{strings.Repeat("k", 127): strings.Repeat("v", 128), "a": strings.Repeat("é", 9000)},
			Destinations: []string{"a", strings.Repeat("d", 300), ""}, Text: strings.Repeat("x", 20000)},
	}
	inlines := [][]byte{nil, {}, []byte("{}"), []byte(strings.Repeat("z", 127)), []byte(strings.Repeat("z", 16384))}
	for i, o := range outs {
		p := &plan{out: o}
		for j, in := range inlines {
			for _, compressed := range []bool{false, true} {
				pkt := p.headerPacket()
				h := pkt.GetStreamHeader()
				h.InlineContent = in
				if compressed {
					h.Compression = livekit.DataStream_DEFLATE_RAW
				}
				if got, want := p.headerSize(in, compressed), proto.Size(pkt); got != want {
					t.Errorf("outgoing %d, inline %d, compressed %v: headerSize %d, proto.Size %d", i, j, compressed, got, want)
				}
			}
		}
	}
}
