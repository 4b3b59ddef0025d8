package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if got := median([]int64{5, 1, 3}); got != 3 {
		t.Errorf("median of 5,1,3 = %d, want 3", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4,1,3,2 = %d, want 2 (mean of 2 and 3, truncated)", got)
	}
	values := []int64{3, 1, 2}
	median(values)
	if values[0] != 3 || values[1] != 1 || values[2] != 2 {
		t.Errorf("median reordered its argument: %v", values)
	}
}

// results builds one sample per plugin: wall seconds×100 and RSS in MiB.
func results(rows ...struct {
	name      string
	wallCenti int
	rssMiB    int64
}) []result {
	out := make([]result, len(rows))
	for i, r := range rows {
		out[i] = result{name: r.name, samples: []sample{{
			wall: time.Duration(r.wallCenti) * 10 * time.Millisecond, cpu: time.Second,
			peakRSS: r.rssMiB << 20, outputBytes: 1 << 20,
		}}}
	}
	return out
}

type row = struct {
	name      string
	wallCenti int
	rssMiB    int64
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name            string
		rows            []row
		fastest, memory bool
		detailMentions  string
	}{
		{"all met", []row{{lkrpcName, 80, 40}, {"protoc-gen-psrpc", 100, 50}, {goGRPCName, 140, 90}}, true, true, ""},
		{"slower than psrpc", []row{{lkrpcName, 120, 40}, {"protoc-gen-psrpc", 100, 50}, {goGRPCName, 140, 90}}, false, true, "protoc-gen-psrpc"},
		{"more memory than the lowest baseline", []row{{lkrpcName, 80, 51}, {"protoc-gen-psrpc", 100, 50}, {goGRPCName, 140, 90}}, true, false, "protoc-gen-psrpc's 50.0 MiB"},
		{"a tie is not faster", []row{{lkrpcName, 140, 70}, {goGRPCName, 140, 90}}, false, true, goGRPCName},
		{"more memory than go-grpc", []row{{lkrpcName, 80, 91}, {goGRPCName, 140, 90}}, true, false, "91.0 MiB vs protoc-gen-go-grpc's 90.0 MiB"},
		{"equal memory is met", []row{{lkrpcName, 80, 90}, {goGRPCName, 140, 90}}, true, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := results(tc.rows...)
			sums := make([]summary, len(rs))
			for i, r := range rs {
				sums[i] = summarize(r)
			}
			v := judge(sums)
			if v[0].met != tc.fastest || v[1].met != tc.memory {
				t.Errorf("fastest %v, memory %v; want %v, %v (%+v)", v[0].met, v[1].met, tc.fastest, tc.memory, v)
			}
			if tc.detailMentions != "" && !strings.Contains(v[0].detail+v[1].detail, tc.detailMentions) {
				t.Errorf("details %q and %q do not mention %q", v[0].detail, v[1].detail, tc.detailMentions)
			}
		})
	}
}

func TestReport(t *testing.T) {
	var out bytes.Buffer
	met := report(&out, results(row{lkrpcName, 50, 40}, row{goGRPCName, 100, 80}))
	text := out.String()
	if !met {
		t.Errorf("report says a target was missed:\n%s", text)
	}
	for _, want := range []string{
		`(?m)^protoc-gen-lkrpc +0\.50 s +0\.50 s +1\.00 s +40\.0 MiB`, // name left-aligned, figures right-aligned
		`(?m)^protoc-gen-go-grpc .* 0\.50 +1\.00 +0\.50$`,             // lkrpc over go-grpc: wall, cpu, RSS
		`(?m)^PASS  faster than every baseline`,
		`(?m)^PASS  peak RSS`,
	} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("report does not match %s:\n%s", want, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines[0]) != len(lines[1]) || len(lines[1]) != len(lines[2]) {
		t.Errorf("table rows differ in width:\n%s", text)
	}
	if report(&out, results(row{lkrpcName, 150, 40}, row{goGRPCName, 100, 80})) {
		t.Error("report says every target was met by a slower lkrpc")
	}
}

func TestSummaryRows(t *testing.T) {
	rows := summaryRows(results(row{lkrpcName, 120, 60}, row{"protoc-gen-psrpc", 80, 40}, row{goGRPCName, 160, 90}),
		"500 services × 10 unary methods", [2]string{"3a", "3b"})
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 3a and 3b: %+v", len(rows), rows)
	}
	time, mem := rows[0], rows[1]
	// The time ratio is against the fastest baseline: 1.20 s / 0.80 s.
	if time.ID != "3a" || time.Status != "FAIL" || time.Ratio != 1.5 ||
		!strings.Contains(time.Baseline, "protoc-gen-psrpc 0.80 s") || !strings.Contains(time.Figure, "1.20 s wall") {
		t.Errorf("row 3a = %+v", time)
	}
	// The memory ratio is against the lowest baseline: 60 MiB / 40 MiB.
	if mem.ID != "3b" || mem.Status != "FAIL" || mem.Ratio != 60.0/40 || !strings.Contains(mem.Baseline, "protoc-gen-psrpc 40.0 MiB") ||
		!strings.Contains(time.Figure, "500 services × 10 unary methods") {
		t.Errorf("row 3b = %+v", mem)
	}
}
