package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// summary is the statistics of one plugin's samples.
type summary struct {
	name                string
	medianWall, minWall time.Duration
	medianCPU           time.Duration
	medianRSS           int64
	outputBytes         int
	reformat            time.Duration
}

func summarize(r result) summary {
	s := summary{name: r.name, outputBytes: r.samples[0].outputBytes, reformat: r.reformat}
	walls := make([]time.Duration, len(r.samples))
	cpus := make([]time.Duration, len(r.samples))
	rss := make([]int64, len(r.samples))
	for i, x := range r.samples {
		walls[i], cpus[i], rss[i] = x.wall, x.cpu, x.peakRSS
	}
	s.medianWall, s.minWall = median(walls), slices.Min(walls)
	s.medianCPU = median(cpus)
	s.medianRSS = median(rss)
	return s
}

// median is the middle value, or the mean of the two middle values.
func median[T time.Duration | int64](values []T) T {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// verdict is one target and whether it was met.
type verdict struct {
	target string
	met    bool
	detail string
}

// judge checks lkrpc (the first summary) against the targets: a median wall
// time below every baseline's, and a median peak RSS no higher than the
// lowest baseline's.
func judge(sums []summary) []verdict {
	lk := sums[0]
	fastest := verdict{target: "faster than every baseline (median wall time)", met: true}
	memory := verdict{target: "peak RSS ≤ the lowest baseline's (median)", met: true}
	lowest := lowestRSS(sums)
	if lowest >= 0 {
		memory.met = lk.medianRSS <= sums[lowest].medianRSS
		memory.detail = fmt.Sprintf(" %s vs %s's %s", mib(lk.medianRSS), sums[lowest].name, mib(sums[lowest].medianRSS))
	}
	for _, b := range sums[1:] {
		if lk.medianWall >= b.medianWall {
			fastest.met = false
			if fastest.detail != "" {
				fastest.detail += ";"
			}
			fastest.detail += fmt.Sprintf(" not faster than %s (%s vs %s)", b.name, seconds(lk.medianWall), seconds(b.medianWall))
		}
	}
	return []verdict{fastest, memory}
}

// lowestRSS is the index of the baseline (sums[1:]) with the lowest median
// peak RSS, -1 when there is none.
func lowestRSS(sums []summary) int {
	lowest := -1
	for i := 1; i < len(sums); i++ {
		if lowest < 0 || sums[i].medianRSS < sums[lowest].medianRSS {
			lowest = i
		}
	}
	return lowest
}

// report prints the table and the verdicts and reports whether every target
// was met. Ratios are lkrpc's figure over the baseline's: below 1 is better.
func report(w io.Writer, results []result) bool {
	sums := make([]summary, len(results))
	for i, r := range results {
		sums[i] = summarize(r)
	}
	lk := sums[0]
	rows := [][]string{{"plugin", "median wall", "min wall", "median cpu", "peak RSS", "output", "reformat cpu",
		"lkrpc/x wall", "lkrpc/x cpu", "lkrpc/x RSS"}}
	for _, s := range sums {
		rows = append(rows, []string{s.name,
			seconds(s.medianWall), seconds(s.minWall), seconds(s.medianCPU), mib(s.medianRSS), mib(int64(s.outputBytes)), seconds(s.reformat),
			fmt.Sprintf("%.2f", ratio(lk.medianWall, s.medianWall)),
			fmt.Sprintf("%.2f", ratio(lk.medianCPU, s.medianCPU)),
			fmt.Sprintf("%.2f", ratio(lk.medianRSS, s.medianRSS))})
	}
	writeTable(w, rows)
	fmt.Fprintln(w, "\nreformat cpu: CPU time to parse and print the plugin's output as protogen's")
	fmt.Fprintln(w, "GeneratedFile.Content does (psrpc does the same itself): part of every run, and")
	fmt.Fprintln(w, "a floor no plugin gets below without emitting different code.")
	fmt.Fprintln(w)
	all := true
	for _, v := range judge(sums) {
		mark := "PASS"
		if !v.met {
			mark, all = "FAIL", false
		}
		if v.detail != "" {
			v.target += ":" + v.detail
		}
		fmt.Fprintf(w, "%s  %s\n", mark, v.target)
	}
	return all
}

// writeTable writes rows as columns: the first left-aligned, the others
// right-aligned, two spaces apart.
func writeTable(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i == 0 {
				line.WriteString(cell + pad)
			} else {
				line.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(w, line.String())
	}
}

func ratio[T time.Duration | int64](a, b T) float64 { return float64(a) / float64(b) }

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Row is one line of issue 5's benchmark table; bench/rpc decodes these
// (with -json) into its own rows of the same fields.
type Row struct {
	ID       string
	Figure   string
	Baseline string
	Ratio    float64
	Target   string
	Status   string
}

// summaryRows are the rows of one request in row 3 of issue 5 (ids: time,
// memory): lkrpc's time against the fastest baseline (the target is to beat
// every one), and its peak memory against the lowest baseline's.
func summaryRows(results []result, label string, ids [2]string) []Row {
	sums := make([]summary, len(results))
	for i, r := range results {
		sums[i] = summarize(r)
	}
	lk := sums[0]
	verdicts := judge(sums)
	var baselines []string
	worst := 0.0
	for _, s := range sums[1:] {
		baselines = append(baselines, fmt.Sprintf("%s %s", s.name, seconds(s.medianWall)))
		worst = max(worst, ratio(lk.medianWall, s.medianWall))
	}
	rows := []Row{{
		ID: ids[0],
		Figure: fmt.Sprintf("generator, %s: protoc-gen-lkrpc median %s wall, %s CPU (%d runs)",
			label, seconds(lk.medianWall), seconds(lk.medianCPU), len(results[0].samples)),
		Baseline: strings.Join(baselines, ", "),
		Ratio:    worst,
		Target:   "< 1.00× of every baseline (ratio shown: against the fastest)",
		Status:   status(verdicts[0].met),
	}}
	if i := lowestRSS(sums); i >= 0 {
		s := sums[i]
		rows = append(rows, Row{
			ID:       ids[1],
			Figure:   "generator peak RSS (" + label + "): protoc-gen-lkrpc " + mib(lk.medianRSS),
			Baseline: s.name + " " + mib(s.medianRSS) + " (the lowest baseline)",
			Ratio:    ratio(lk.medianRSS, s.medianRSS),
			Target:   "≤ 1.00× of the lowest",
			Status:   status(verdicts[1].met),
		})
	}
	return rows
}

func status(met bool) string {
	if met {
		return "PASS"
	}
	return "FAIL"
}
