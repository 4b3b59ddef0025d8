package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// launcher is the command line, before the plugin's path, that starts a
// plugin through the launcher (internal/launch): the launcher program
// preparePlugins builds, or in tests the test binary itself (TestMain).
var launcher []string

// usage is what the launcher reports about one plugin run.
type usage struct {
	wall, cpu time.Duration
	peakRSS   int64 // bytes
}

// launch runs path as a plugin through the launcher: stdin is the request,
// stdout receives the response.
func launch(path string, stdin []byte, stdout, stderr *bytes.Buffer) (usage, error) {
	if len(launcher) == 0 {
		return usage{}, fmt.Errorf("no plugin launcher")
	}
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return usage{}, err
	}
	defer reportR.Close()
	cmd := exec.Command(launcher[0], append(launcher[1:len(launcher):len(launcher)], path)...)
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
