package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Row is one line of the printed table.
type Row struct {
	ID       string  // issue 5's row number, with a letter per figure
	Figure   string  // what was measured, with its value
	Baseline string  // the same-run baseline it is compared with
	Ratio    float64 // figure ÷ baseline in the unit the target states; NaN when none
	Target   string  // e.g. "≤ 1.05×"
	Status   string  // PASS, FAIL, ERROR, or "–" for figures without a target
}

// verdict turns a comparison into PASS/FAIL.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// printTable writes rows as a markdown table, ready for the README.
func printTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| row | figure | baseline (same run) | ratio | target | result |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		ratio := "–"
		if !math.IsNaN(r.Ratio) && r.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n",
			r.ID, cell(r.Figure), cell(r.Baseline), ratio, cell(r.Target), cell(r.Status))
	}
}

// cell keeps a value from breaking the markdown table.
func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", "/")
}
