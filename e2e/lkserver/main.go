package lkserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// Environment variables.
const (
	// EnableEnv set to 1 runs the end-to-end tests.
	EnableEnv = "LKRPC_E2E"
	// InNetnsEnv is set to 1 by e2e/netns.sh inside the private namespace.
	InNetnsEnv = "LKRPC_IN_NETNS"
	// ServerBinEnv overrides where the livekit-server binary is
	// (default <repo>/.cache/bin/livekit-server).
	ServerBinEnv = "LKRPC_LIVEKIT_SERVER"
)

// shared is the package's server, set by Main when the tests are enabled.
var shared *Server

// SDKLogEnv, set to 1, keeps server-sdk-go's and pion's logging, which the
// tests and benchmarks otherwise discard.
const SDKLogEnv = "LKRPC_E2E_SDK_LOG"

// QuietSDK silences server-sdk-go's package logger, which pion's WebRTC
// logs go to, unless SDKLogEnv is 1.
func QuietSDK() {
	if os.Getenv(SDKLogEnv) != "1" {
		rtc.SetSDKLogger(rtc.QuietSDKLogger())
	}
}

// Enabled reports whether the end-to-end tests are switched on.
func Enabled() bool { return os.Getenv(EnableEnv) == "1" }

// Main is a TestMain body: see the package doc. It returns the exit code.
func Main(m *testing.M) int {
	QuietSDK()
	if !Enabled() {
		return m.Run()
	}
	if os.Getenv(InNetnsEnv) != "1" {
		code, err := reexecInNetns()
		if err != nil {
			fmt.Fprintf(os.Stderr, "lkserver: %v\n", err)
			return 1
		}
		return code
	}
	srv, err := Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lkserver: %v\n", err)
		return 1
	}
	shared = srv
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "lkserver: %v\n", err)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "lkserver: server log: %s\n", srv.LogPath)
	}
	return code
}

// Require returns the package's server, or skips the test when the
// end-to-end tests are not enabled.
func Require(t testing.TB) *Server {
	t.Helper()
	if !Enabled() {
		t.Skipf("end-to-end test against a real livekit-server: set %s=1 to run it (after e2e/install.sh)", EnableEnv)
	}
	if shared == nil {
		t.Fatalf("%s=1 but no server: call lkserver.Main from TestMain", EnableEnv)
	}
	return shared
}

// reexecInNetns runs this test binary again, with the same arguments,
// inside e2e/netns.sh, and returns its exit code.
func reexecInNetns() (int, error) {
	root, err := RepoRoot()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(filepath.Join(root, "e2e", "netns.sh"), os.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	default:
		return 0, fmt.Errorf("run the tests inside e2e/netns.sh: %w", err)
	}
}

// RepoRoot finds the repository root: the nearest directory above the
// working directory (a test runs in its package's) holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (no go.mod above the working directory)")
		}
		dir = parent
	}
}
