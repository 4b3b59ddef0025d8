package main

import (
	"math/rand/v2"
	"strings"
)

// base64Alphabet: random text over it is what binary data inside JSON
// looks like; raw DEFLATE saves about a quarter of it (6 bits of 8).
const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// randomText returns n bytes of seeded random base64-alphabet text.
func randomText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(base64Alphabet[r.IntN(len(base64Alphabet))])
	}
	return b.String()
}
