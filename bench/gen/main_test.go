package main

import (
	"os"
	"strings"
	"testing"

	launchpkg "github.com/lkrpc/lkrpc/bench/gen/internal/launch"
)

// launchArg, as the first argument, turns the test binary into the plugin
// launcher of the plugin named by the second.
const launchArg = "-launch-plugin"

// TestMain lets the test binary be its own plugin launcher, so that the
// tests need not build the launcher program: measure starts
// os.Executable() with launchArg.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == launchArg {
		os.Exit(launchpkg.Run(os.Args[2]))
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	launcher = []string{self, launchArg}
	// Under -race every launcher would otherwise sleep a second on exit.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}
