package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// typicalJSON returns n bytes (give or take one record) of the JSON an
// application of LiveKit's kind sends between participants: a page of
// transcript/chat events such as an agent's summary request carries.
// Each record has
//   - a sequential numeric id and a random 16-hex-digit event id (the
//     high-entropy part: a trace id or a short UUID),
//   - an RFC 3339 timestamp a few hundred milliseconds after the last,
//   - one of 6 event types, one of 12 speakers, a room name,
//   - a sentence of 6–24 words drawn from a 400-word vocabulary with a
//     Zipf-like skew (a few words common, most rare, as in speech),
//   - a confidence (0.50–1.00, 3 decimals), a duration in ms, a boolean,
//     and 0–3 tags.
//
// The seed makes the text reproducible run to run.
func typicalJSON(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x150))
	vocab := vocabulary(r, 400)
	zipf := rand.NewZipf(r, 1.1, 8, uint64(len(vocab)-1))
	types := []string{"transcript.segment", "transcript.final", "chat.message", "agent.thought", "tool.call", "tool.result"}
	speakers := make([]string, 12)
	for i := range speakers {
		speakers[i] = fmt.Sprintf("participant-%02d", i+1)
	}
	tags := []string{"question", "action-item", "decision", "follow-up", "pii-redacted", "off-topic"}
	ts := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

	var b strings.Builder
	b.Grow(n + 512)
	b.WriteString(`{"room":"standup-eu-west-7","page":1,"events":[`)
	for i := 0; b.Len() < n-2; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		ts = ts.Add(time.Duration(50+r.IntN(900)) * time.Millisecond)
		fmt.Fprintf(&b, `{"seq":%d,"event_id":"%016x","type":"%s","speaker":"%s","at":"%s","text":"`,
			1000+i, r.Uint64(), types[r.IntN(len(types))], speakers[r.IntN(len(speakers))], ts.Format(time.RFC3339Nano))
		words := 6 + r.IntN(19)
		for w := range words {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[zipf.Uint64()])
		}
		fmt.Fprintf(&b, `.","confidence":%.3f,"duration_ms":%d,"final":%t,"tags":[`, 0.5+r.Float64()/2, 200+r.IntN(6000), r.IntN(4) != 0)
		for t := range r.IntN(4) {
			if t > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"%s"`, tags[r.IntN(len(tags))])
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

// vocabulary makes n distinct lowercase pseudo-words of 2–10 letters.
func vocabulary(r *rand.Rand, n int) []string {
	const letters = "etaoinshrdlucmfwypvbgkjqxz" // roughly by English frequency
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		k := 2 + r.IntN(9)
		var w strings.Builder
		for range k {
			w.WriteByte(letters[min(r.IntN(len(letters)), r.IntN(len(letters)))]) // skewed to frequent letters
		}
		if !seen[w.String()] {
			seen[w.String()] = true
			out = append(out, w.String())
		}
	}
	return out
}
