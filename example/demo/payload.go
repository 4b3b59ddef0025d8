package main

import (
	"fmt"
	"strconv"
	"strings"

	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
)

// sentences give the large payloads the shape of real text: words repeat,
// so DEFLATE pays as it would on a transcript, but not absurdly.
var sentences = []string{
	"The quarterly numbers came in above plan for the third time this year.",
	"Maria asked whether the launch date could move to the second week of March.",
	"Everyone agreed the onboarding flow needs fewer steps before the next release.",
	"Support tickets about audio quality dropped after the codec change.",
	"Ahmed will draft the pricing proposal and share it on Thursday.",
	"We still need a decision on the data retention policy for recordings.",
	"The demo for the partner went well, though the latency spike raised questions.",
}

// document returns about n bytes of paragraphs of two sentences each.
func document(n int) *agentv1.Document {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s Paragraph %d.\n\n", sentences[i%len(sentences)], i)
	}
	return &agentv1.Document{Title: "Weekly sync", Text: b.String()}
}

// transcript returns about n bytes of utterances.
func transcript(n int) *agentv1.Transcript {
	t := &agentv1.Transcript{}
	for size, i := 0, 0; size < n; i++ {
		u := &agentv1.Utterance{Text: sentences[i%len(sentences)] + " (" + strconv.Itoa(i) + ")"}
		t.Utterances = append(t.Utterances, u)
		size += len(u.Text) + 4
	}
	return t
}

// parseSize reads sizes such as 1MiB, 512KiB, 2048 or 1.5MiB.
func parseSize(s string) (int, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"MiB", 1 << 20}, {"KiB", 1 << 10}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := 1.0
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSuffix(num, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || v*mult > 64<<20 {
		return 0, fmt.Errorf("bad size %q: want a size up to 64MiB such as 1MiB or 512KiB", s)
	}
	return int(v * mult), nil
}

func bytesize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
