package main

import (
	"bytes"
	"compress/flate"
	"fmt"
	"time"
)

// levelFigure is one compress/flate level on one payload.
type levelFigure struct {
	level    int
	ratio    float64 // input ÷ output
	compress time.Duration
	inflate  time.Duration
}

// measureLevels compresses text at every level (best of reps runs each)
// and inflates it back, as datastream does (raw DEFLATE).
func measureLevels(text string, reps int) ([]levelFigure, error) {
	var out []levelFigure
	for _, level := range []int{flate.HuffmanOnly, 1, 2, 3, 4, 5, 6, 9} {
		f := levelFigure{level: level}
		for range reps {
			var buf bytes.Buffer
			t0 := time.Now()
			w, err := flate.NewWriter(&buf, level)
			if err != nil {
				return nil, err
			}
			_, _ = w.Write([]byte(text))
			if err := w.Close(); err != nil {
				return nil, err
			}
			c := time.Since(t0)
			t1 := time.Now()
			var back bytes.Buffer
			if _, err := back.ReadFrom(flate.NewReader(bytes.NewReader(buf.Bytes()))); err != nil {
				return nil, err
			}
			d := time.Since(t1)
			if back.String() != text {
				return nil, fmt.Errorf("level %d: inflate gave %d bytes, want %d", level, back.Len(), len(text))
			}
			if f.compress == 0 || c < f.compress {
				f.compress = c
			}
			if f.inflate == 0 || d < f.inflate {
				f.inflate = d
			}
			f.ratio = float64(len(text)) / float64(buf.Len())
		}
		out = append(out, f)
	}
	return out, nil
}

func levelName(l int) string {
	if l == flate.HuffmanOnly {
		return "HuffmanOnly"
	}
	return fmt.Sprint(l)
}
