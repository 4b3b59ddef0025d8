package lkserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Fixed by e2e/livekit.yaml and --dev. The namespace is private, so fixed
// ports cannot clash with anything else on the machine.
const (
	URL       = "ws://127.0.0.1:7880"
	HTTPURL   = "http://127.0.0.1:7880"
	APIKey    = "devkey"
	APISecret = "secret"

	readyTimeout = 15 * time.Second
	stopGrace    = 3 * time.Second
)

// Server is a running livekit-server.
type Server struct {
	URL     string
	LogPath string // its stdout and stderr

	cmd     *exec.Cmd
	exited  chan struct{}
	log     *os.File
	httpURL string   // where waitReady asks
	args    []string // livekit-server's arguments, for Restart
}

// Start runs livekit-server with e2e/livekit.yaml and waits until it
// answers HTTP.
func Start() (*Server, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	bin, err := serverBin()
	if err != nil {
		return nil, err
	}
	return startServer(bin, URL, HTTPURL, "--dev", "--bind", "127.0.0.1", "--config", filepath.Join(root, "e2e", "livekit.yaml"))
}

// serverBin is the livekit-server binary the tests run.
func serverBin() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := os.Getenv(ServerBinEnv)
	if bin == "" {
		bin = filepath.Join(root, ".cache", "bin", "livekit-server")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no livekit-server at %s: run e2e/install.sh (%w)", bin, err)
	}
	return bin, nil
}

// startServer runs bin with args and waits until it answers HTTP at httpURL.
func startServer(bin, url, httpURL string, args ...string) (*Server, error) {
	logFile, err := os.CreateTemp("", "lkrpc-livekit-server-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{URL: url, LogPath: logFile.Name(), cmd: cmd, exited: make(chan struct{}), log: logFile, httpURL: httpURL, args: args}
	go s.wait()
	if err := s.waitReady(); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%w (log: %s)", err, s.LogPath)
	}
	return s, nil
}

// ProcessWaiter is the function of the goroutine that waits for a server
// process to exit, for goleak.IgnoreAnyFunction in tests that restart the
// server (a restarted server's waiter outlives the test that restarted it).
const ProcessWaiter = "github.com/lkrpc/lkrpc/e2e/lkserver.(*Server).wait"

func (s *Server) wait() {
	_ = s.cmd.Wait()
	close(s.exited)
}

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.httpURL, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("livekit-server exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("livekit-server not ready after %v", readyTimeout)
		case <-tick.C:
		}
	}
}

// Stop ends the server by its PID: one SIGTERM only starts draining (it
// waits for participants forever), a second one stops it; SIGKILL if it
// still runs after a grace period.
func (s *Server) Stop() error {
	defer s.log.Close()
	select {
	case <-s.exited:
		return nil // killed or crashed already
	default:
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM} {
		if err := s.cmd.Process.Signal(sig); err != nil {
			break // already gone
		}
		select {
		case <-s.exited:
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopGrace):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return errors.New("livekit-server ignored SIGTERM and was killed")
}

// Restart stops the server if it still runs and starts it again, in place
// (same URL). A test that kills the server restarts it for the next test.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	fresh, err := startServer(s.cmd.Path, s.URL, s.httpURL, s.args...)
	if err != nil {
		return err
	}
	*s = *fresh
	return nil
}

// Kill ends the server at once (SIGKILL), as a crash would: participants get
// no Leave, their signal connections just drop.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}
