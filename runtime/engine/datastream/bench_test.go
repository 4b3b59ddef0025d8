package datastream

import (
	"compress/flate"
	"testing"

	"github.com/lkrpc/lkrpc/internal/randtext"
)

var benchModes = []struct {
	name string
	opts SendOptions
}{
	{"plain", SendOptions{Inline: true}},
	{"deflate", SendOptions{Inline: true, Compress: true}},
}

func BenchmarkEncode1MiB(b *testing.B) {
	text := jsonText(1<<20, 42)
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			var info Info
			for b.Loop() {
				seq, i, err := Encode(outgoing(text), m.opts)
				if err != nil {
					b.Fatal(err)
				}
				for p := range seq { // the packets are built while iterating
					if p == nil {
						b.Fatal("nil packet")
					}
				}
				info = i
			}
			b.ReportMetric(float64(info.WireBytes), "wire-bytes")
		})
	}
}

func BenchmarkAssemble1MiB(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"json", jsonText(1<<20, 42)},
		{"base64", randtext.New(1<<20, 1)},
	} {
		for _, m := range benchModes {
			b.Run(tc.name+"/"+m.name, func(b *testing.B) { benchAssemble(b, tc.text, m.opts) })
		}
	}
}

// benchAssemble feeds text's packets, as they come over the wire, to an
// Assembler.
func benchAssemble(b *testing.B, text string, opts SendOptions) {
	pkts, _ := encodeAll(b, outgoing(text), opts)
	for i, p := range pkts {
		pkts[i] = overTheWire(b, p, "alice")
	}
	a := NewAssembler(Limits{}, nil)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		var last []Event
		for _, p := range pkts {
			last = a.Feed(p)
		}
		if len(last) != 1 || last[0].Kind != Completed || len(last[0].Text) != len(text) {
			b.Fatalf("events %s", kinds(last))
		}
	}
}

// BenchmarkDeflateLevels compares compress/flate levels on 1 MiB of JSON:
// speed (MB/s of input) and the compressed size as a share of the input.
func BenchmarkDeflateLevels(b *testing.B) {
	text := jsonText(1<<20, 42)
	for _, l := range []struct {
		name  string
		level int
	}{{"BestSpeed", flate.BestSpeed}, {"Default", flate.DefaultCompression}, {"HuffmanOnly", flate.HuffmanOnly}} {
		b.Run(l.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var out []byte
			for b.Loop() {
				var err error
				if out, err = deflate(text, l.level, len(text)); err != nil || out == nil {
					b.Fatalf("deflate: %d bytes, %v", len(out), err)
				}
			}
			b.ReportMetric(float64(len(out))/float64(len(text)), "ratio")
		})
	}
}
