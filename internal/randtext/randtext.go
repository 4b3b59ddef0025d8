// Package randtext makes the seeded random text the tests and benchmarks
// send as payloads: printable ASCII over the base64 alphabet, which is what
// binary data inside JSON looks like. Raw DEFLATE saves about a quarter of
// it (6 bits of every 8) and no more, so its size on the wire, its chunk
// count and the route it takes are predictable.
package randtext

import (
	"math/rand/v2"
	"strings"
)

// Alphabet is the characters the text is made of.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// New returns n bytes of text; the same seed gives the same text.
func New(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(Alphabet[r.IntN(len(Alphabet))])
	}
	return b.String()
}
