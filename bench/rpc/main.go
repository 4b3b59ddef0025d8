package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// rowSpec is one numbered row of issue 5: whether it needs the real
// server, and what measures it.
type rowSpec struct {
	id     string
	server bool
	run    func(ctx context.Context, b *bench) ([]Row, error)
}

var allRows = []rowSpec{
	{"1", true, smallCalls},
	{"2", true, largeCalls},
	{"3", false, generatorRow},
	{"4", true, compression},
	{"5", false, inProcess},
	{"6", true, concurrency},
	{"7", true, thresholds},
	{"8", true, streaming},
}

func main() {
	rows := flag.String("rows", "1,2,3,4,5,6,7,8", "comma-separated rows to run")
	scale := flag.Float64("scale", 1, "multiplies every sample count (0.2 for a quick look)")
	noBrowser := flag.Bool("no-browser", false, "skip the Go↔browser figures of row 2")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the rows (this process: lkrpc's and the stock SDK's peers, not the server) to `file`")
	flag.Parse()
	os.Exit(run(*rows, *scale, !*noBrowser, *cpuProfile))
}

func run(rowList string, scale float64, browser bool, cpuProfile string) int {
	selected, err := selectRows(rowList)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/rpc:", err)
		return 2
	}
	needServer := slices.ContainsFunc(selected, func(r rowSpec) bool { return r.server })
	if needServer && os.Getenv(lkserver.InNetnsEnv) != "1" {
		return reexecInNetns()
	}
	lkserver.QuietSDK()

	b := &bench{scale: scale, browser: browser, notes: &strings.Builder{}}
	if needServer {
		srv, err := lkserver.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/rpc:", err)
			return 1
		}
		b.url = srv.URL
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "bench/rpc:", err)
			}
		}()
	}

	if cpuProfile != "" {
		stop, err := startProfile(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/rpc:", err)
			return 1
		}
		defer stop()
	}
	started := time.Now()
	var table []Row
	failed := false
	for _, spec := range selected {
		fmt.Fprintf(os.Stderr, "row %s…\n", spec.id)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		got, err := spec.run(ctx, b)
		cancel()
		table = append(table, got...)
		if err != nil {
			failed = true
			fmt.Fprintf(os.Stderr, "bench/rpc: row %s: %v\n", spec.id, err)
			table = append(table, Row{ID: spec.id, Figure: "error: " + oneLine(err.Error()), Status: "ERROR"})
		}
	}
	fmt.Printf("## lkrpc runtime benchmarks (%s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	where := "in process"
	if needServer {
		where = "livekit-server v1.13.5 and every peer on loopback in a private network namespace"
	}
	fmt.Printf("Machine: %s; %d CPUs (GOMAXPROCS %d), %s; %s. Run took %v.\n\n",
		machineName(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), where, time.Since(started).Round(time.Second))
	printTable(os.Stdout, table)
	if b.notes.Len() > 0 {
		fmt.Println()
		fmt.Print(b.notes.String())
	}
	if failed {
		return 1
	}
	return 0
}

func selectRows(list string) ([]rowSpec, error) {
	var out []rowSpec
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		i := slices.IndexFunc(allRows, func(r rowSpec) bool { return r.id == id })
		if i < 0 {
			return nil, fmt.Errorf("no row %q (rows: 1 to 8)", id)
		}
		out = append(out, allRows[i])
	}
	return out, nil
}

// reexecInNetns runs this same binary again inside e2e/netns.sh and returns
// its exit code; the server and every peer then live in a private network
// namespace, as in the end-to-end tests.
func reexecInNetns() int {
	root, err := lkserver.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/rpc:", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/rpc:", err)
		return 1
	}
	cmd := exec.Command(filepath.Join(root, "e2e", "netns.sh"), append([]string{self}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "bench/rpc: run inside e2e/netns.sh (needs root or user namespaces): %v\n", err)
		return 1
	}
}

// startProfile writes a CPU profile to path until the returned func runs.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// machineName is the CPU model from /proc/cpuinfo, or the architecture.
func machineName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v) + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")"
			}
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
