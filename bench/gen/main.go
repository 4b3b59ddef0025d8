// Command gen is the generator's performance row: it runs protoc-gen-lkrpc
// and the baseline plugins (protoc-gen-psrpc, protoc-gen-go-grpc,
// protoc-gen-connect-go) on the same synthetic requests, 500 services × 10
// unary methods in 10 files and 50 files of 2 services × 5 methods with a
// comment on every element and well-known-type imports, as protoc would
// (request on stdin, response on stdout), and
// prints wall time, CPU time and peak RSS of each child (each started by a
// small launcher, see launcher.go), what each plugin's output costs to
// reformat (reformat.go: the floor of a protogen plugin's run), lkrpc's ratio
// to each baseline, and PASS/FAIL against the targets "faster than every
// baseline" and "peak memory no more than the lowest baseline's", per request.
//
// Run it from anywhere inside the repository:
//
//	go run ./bench/gen [-n 5] [-strict]
//
// Everything it builds or installs goes to <repo>/.cache/bench: the
// baselines are installed there with GOBIN (never globally, never through
// this repository's go.mod) and reused while their versions match.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

func main() {
	runs := flag.Int("n", 5, "runs per plugin, interleaved round-robin so that every plugin shares the machine's noise")
	strict := flag.Bool("strict", false, "exit with status 1 when a target is missed, not only when a plugin fails")
	asJSON := flag.Bool("json", false, "print only issue 5's row 3 as JSON rows (for bench/rpc's table); the detailed table goes to stderr")
	prepare := flag.Bool("prepare", false, "only build protoc-gen-lkrpc and install the baselines (needs the module proxy), then exit")
	flag.Parse()
	if *prepare {
		*runs = 0
	}
	if err := run(*runs, *strict, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "bench/gen:", err)
		os.Exit(1)
	}
}

// run measures every plugin runs times (runs 0: only prepares them). With
// asJSON the detailed table goes to stderr and stdout carries only the
// summary rows, as JSON.
func run(runs int, strict, asJSON bool) error {
	if runs < 0 {
		return fmt.Errorf("-n %d: need at least one run per plugin", runs)
	}
	root, err := lkserver.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ".cache", "bench")
	plugins, err := preparePlugins(root, filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}
	req, err := writeRequest(root, filepath.Join(dir, "request-500x10.bin"))
	if err != nil {
		return err
	}
	req.label, req.ids = "500 services × 10 unary methods", [2]string{"3a", "3b"}
	wide, err := writeWideRequest(root, filepath.Join(dir, "request-wide.bin"))
	if err != nil || runs == 0 {
		return err
	}
	wide.label, wide.ids = fmt.Sprintf("%d files × %d services × %d methods, comments on every element, well-known types",
		wide.serviceFiles, wide.services/max(wide.serviceFiles, 1), wide.methods), [2]string{"3c", "3d"}
	out := os.Stdout
	if asJSON {
		out = os.Stderr
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		// Wall times are only comparable between runs on an equally loaded machine.
		fmt.Fprintf(out, "load average: %s", load)
	}
	allMet := true
	var rows []Row
	for _, r := range []request{req, wide} {
		fmt.Fprintf(out, "\nrequest %s: %d services × %d methods in %d files to generate, %d bytes; %d runs per plugin\n\n",
			r.label, r.services, r.methods, r.serviceFiles, len(r.wire), runs)
		results, err := measureAll(plugins, r, runs)
		if err != nil {
			return err
		}
		allMet = report(out, results) && allMet
		rows = append(rows, summaryRows(results, r.label, r.ids)...)
	}
	if asJSON {
		if err := json.NewEncoder(os.Stdout).Encode(rows); err != nil {
			return err
		}
	}
	if strict && !allMet {
		return fmt.Errorf("a target was missed")
	}
	return nil
}
