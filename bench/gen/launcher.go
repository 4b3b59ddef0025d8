package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Why a launcher: on Linux a child's ru_maxrss starts from the high-water
// mark of the process that started it (exec keeps the larger of the two),
// so every plugin started from this process, which holds the request and
// the responses, would report at least this process's own peak. Each plugin
// is therefore started by a fresh copy of this program (a few MiB), which
// passes stdin and stdout straight through and reports the plugin's wall
// time and rusage on an extra pipe.

// launchArg, as the first argument, turns this program into the launcher of
// the plugin named by the second.
const launchArg = "-launch-plugin"

// launchedFD is the launcher's report pipe: the first of cmd.ExtraFiles.
const launchedFD = 3

// usage is what the launcher reports about one plugin run.
type usage struct {
	wall, cpu time.Duration
	peakRSS   int64 // bytes
}

// launch runs path as a plugin through the launcher: stdin is the request,
// stdout receives the response.
func launch(path string, stdin []byte, stdout, stderr *bytes.Buffer) (usage, error) {
	self, err := os.Executable()
	if err != nil {
		return usage{}, fmt.Errorf("finding this program to launch plugins with: %w", err)
	}
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return usage{}, err
	}
	defer reportR.Close()
	cmd := exec.Command(self, launchArg, path)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{reportW}
	err = cmd.Start()
	reportW.Close() // the launcher holds its own copy
	if err != nil {
		return usage{}, err
	}
	var report bytes.Buffer
	_, readErr := report.ReadFrom(reportR)
	if err := cmd.Wait(); err != nil {
		return usage{}, err
	}
	if readErr != nil {
		return usage{}, readErr
	}
	return parseUsage(report.String())
}

// runLauncher is the launcher's whole life: run the plugin at path with this
// process's stdin, stdout and stderr, report on launchedFD, and exit with
// the plugin's status.
func runLauncher(path string) int {
	report := os.NewFile(launchedFD, "report")
	cmd := exec.Command(path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		return 1
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintf(os.Stderr, "no rusage for the child on %s\n", runtime.GOOS)
		return 1
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if _, err := fmt.Fprintf(report, "%d %d %d\n", wall, cpu, maxrssBytes(ru.Maxrss)); err != nil {
		fmt.Fprintf(os.Stderr, "reporting: %v\n", err)
		return 1
	}
	return 0
}

// parseUsage reads the launcher's report: wall and CPU nanoseconds, peak RSS bytes.
func parseUsage(report string) (usage, error) {
	fields := strings.Fields(report)
	if len(fields) != 3 {
		return usage{}, fmt.Errorf("launcher report %q: want 3 numbers", report)
	}
	var n [3]int64
	for i, f := range fields {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 {
			return usage{}, fmt.Errorf("launcher report %q: %q is not a count", report, f)
		}
		n[i] = v
	}
	return usage{wall: time.Duration(n[0]), cpu: time.Duration(n[1]), peakRSS: n[2]}, nil
}

// maxrssBytes converts ru_maxrss, which Linux reports in KiB and macOS in
// bytes, to bytes.
func maxrssBytes(maxrss int64) int64 {
	if runtime.GOOS == "darwin" {
		return maxrss
	}
	return maxrss * 1024
}
