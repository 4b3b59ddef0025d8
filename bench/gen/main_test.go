package main

import (
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary be its own plugin launcher, as the program
// is in production: measure starts os.Executable() with launchArg.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == launchArg {
		os.Exit(runLauncher(os.Args[2]))
	}
	// Under -race every launcher would otherwise sleep a second on exit.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}
