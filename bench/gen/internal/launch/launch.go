// Package launch is bench/gen's plugin launcher: it runs one plugin with
// its own stdin, stdout and stderr and reports the plugin's wall time and
// rusage on an extra pipe.
//
// Why a launcher: on Linux a child's ru_maxrss starts from the high-water
// mark of the process that started it (exec keeps the larger of the two),
// so every plugin started from bench/gen, which holds the request and the
// responses, would report at least bench/gen's own peak. The launcher is a
// program of its own (../../launcher), built from little more than os/exec,
// so that its own peak, the floor of every plugin's figure, is small: a
// copy of bench/gen in that role peaked at 15.3 MiB (its packages'
// initialisation), above the real peak of a plugin that needs less.
package launch

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// ReportFD is the launcher's report pipe: the first of cmd.ExtraFiles.
const ReportFD = 3

// Run is the launcher's whole life: run the plugin at path with this
// process's stdin, stdout and stderr, report "wall-ns cpu-ns peak-RSS-bytes"
// on ReportFD, and return the exit status.
func Run(path string) int {
	report := os.NewFile(ReportFD, "report")
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

// maxrssBytes converts ru_maxrss, which Linux reports in KiB and macOS in
// bytes, to bytes.
func maxrssBytes(maxrss int64) int64 {
	if runtime.GOOS == "darwin" {
		return maxrss
	}
	return maxrss * 1024
}
