// Package userrepo runs the quickstart's own programs (example/quickstart,
// a user's repository with a module of its own) against a real
// livekit-server: cmd/server joins a fresh room and serves GreetService,
// then cmd/client joins the same room and calls it at once, without waiting
// to see the server, including a 256 KiB reply. scripts/userrepo.sh checks
// the rest of the quickstart (generation with buf and protoc, vet, build,
// the in-memory program); `scripts/userrepo.sh --real-server` runs this too.
package userrepo

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

func TestMain(m *testing.M) { os.Exit(lkserver.Main(m)) }

const (
	runs = 3 // each in a fresh room
	// readyTimeout bounds the server's join; clientTimeout the client's
	// whole run (join, both calls, leave).
	readyTimeout  = 20 * time.Second
	clientTimeout = 45 * time.Second
	stopTimeout   = 10 * time.Second
)

// What each program must print (the quickstart's greeter package writes it).
var (
	clientWant = []*regexp.Regexp{
		regexp.MustCompile(`(?m)^client: joined room "[^"]+" as "client"$`),
		regexp.MustCompile(`(?m)^client: Greet: "Hello, Ada!" \[reply: `),
		// 256 KiB cannot travel as a v1 packet (15 KiB at most): a v2
		// stream, which the server may only send once it knows the client
		// speaks RPC v2, right after the client joined.
		regexp.MustCompile(`(?m)^client: Poem: 262144 bytes \[reply: v2 stream`),
	}
	serverWant = []*regexp.Regexp{
		regexp.MustCompile(`(?m)^server: Greet\("Ada"\) from client$`),
		regexp.MustCompile(`(?m)^server: Poem\(262144 bytes\) from client$`),
	}
)

func TestUserRepo(t *testing.T) {
	srv := lkserver.Require(t)
	root, err := lkserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/server", "./cmd/client")
	build.Dir = filepath.Join(root, "example", "quickstart")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the quickstart's server and client: %v\n%s", err, out)
	}
	env := append(os.Environ(),
		"LIVEKIT_URL="+srv.URL,
		"LIVEKIT_API_KEY="+lkserver.APIKey,
		"LIVEKIT_API_SECRET="+lkserver.APISecret,
	)
	for i := 1; i <= runs; i++ {
		t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) {
			room := lkserver.RoomName(t)
			server := startServer(t, filepath.Join(bin, "server"), room, env)

			ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
			defer cancel()
			client := exec.CommandContext(ctx, filepath.Join(bin, "client"), "-room", room)
			client.Env = env
			start := time.Now()
			out, err := client.CombinedOutput()
			took := time.Since(start)
			t.Logf("client (%s, join included):\n%s", took.Round(time.Millisecond), out)
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			for _, re := range clientWant {
				if !re.Match(out) {
					t.Errorf("client printed no line matching %s", re)
				}
			}

			serverOut := server.stop(t)
			t.Logf("server:\n%s", serverOut)
			for _, re := range serverWant {
				if !re.MatchString(serverOut) {
					t.Errorf("server printed no line matching %s", re)
				}
			}
		})
	}
}

// serverProc is a running cmd/server and what it has printed so far.
type serverProc struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed when it has exited
	waitErr error         // Wait's result, set before exited closes

	mu  sync.Mutex
	out strings.Builder
}

// startServer runs cmd/server in room and returns once it says it serves.
func startServer(t *testing.T, path, room string, env []string) *serverProc {
	t.Helper()
	s := &serverProc{cmd: exec.Command(path, "-room", room), exited: make(chan struct{})}
	s.cmd.Env = env
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &lockedWriter{s}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			s.write(sc.Text() + "\n")
			if !signalled && strings.HasPrefix(sc.Text(), "server: serving GreetService") {
				signalled = true
				close(ready)
			}
		}
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { // when the test ended early
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case <-ready:
		return s
	case <-s.exited:
		t.Fatalf("server exited before serving (%v):\n%s", s.waitErr, s.output())
	case <-time.After(readyTimeout):
		t.Fatalf("server not serving after %s:\n%s", readyTimeout, s.output())
	}
	return nil
}

// stop sends SIGTERM, as Ctrl-C would, and checks that the server leaves
// the room and exits 0. It returns everything the server printed.
func (s *serverProc) stop(t *testing.T) string {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("signal server: %v", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			t.Errorf("server exited with %v after SIGTERM", s.waitErr)
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		t.Errorf("server still running %s after SIGTERM", stopTimeout)
	}
	return s.output()
}

func (s *serverProc) write(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.WriteString(text)
}

func (s *serverProc) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

type lockedWriter struct{ s *serverProc }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.write(string(p))
	return len(p), nil
}
