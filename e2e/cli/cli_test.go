// Package cli runs the lkrpc command (cmd/lkrpc) against a real
// livekit-server and the example VoiceAgent served by a Go participant:
// participants, raw and typed calls, errors and their exit statuses, calls
// through the RoomService API, and a 10 MiB call in a real terminal (tmux)
// whose progress bar is read off the screen.
package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
)

func TestMain(m *testing.M) { os.Exit(lkserver.Main(m)) }

// cli is the built command and the environment it runs in.
type cli struct {
	bin, root, room string
	env             []string
}

func newCLI(t *testing.T, room string) *cli {
	t.Helper()
	root, err := lkserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lkrpc")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lkrpc")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lkrpc: %v\n%s", err, out)
	}
	env := append(os.Environ(), "LIVEKIT_URL="+lkserver.URL, "LIVEKIT_API_KEY="+lkserver.APIKey, "LIVEKIT_API_SECRET="+lkserver.APISecret)
	return &cli{bin: bin, root: root, room: room, env: env}
}

// run runs the command with --room and returns its status and output.
func (c *cli) run(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{args[0], "--room", c.room}, args[1:]...)...)
	cmd.Dir, cmd.Env = c.root, c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("lkrpc %q: %v", args, err)
	}
	return status, out.String(), errOut.String()
}

// protoFlags describe the example agent to the command.
var protoFlags = []string{"--proto", "example/proto/agent/v1/agent.proto", "-I", "example/proto"}

func startAgent(t *testing.T, srv *lkserver.Server, room string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := lkrpc.Connect(ctx, srv.URL, srv.Token(t, "agent", room))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := agentv1.RegisterVoiceAgentHandler(conn, agent.New("alloy", "echo")); err != nil {
		t.Fatal(err)
	}
}

func TestCommandAgainstTheExampleAgent(t *testing.T) {
	srv := lkserver.Require(t)
	room := lkserver.RoomName(t)
	startAgent(t, srv, room)
	c := newCLI(t, room)

	t.Run("participants", func(t *testing.T) {
		// The room announces the agent, then its discovery attribute.
		want := regexp.MustCompile(`(?m)^agent\s+STANDARD\s+2\s+COMPRESSION_DEFLATE_RAW\s+example\.agent\.v1\.VoiceAgent$`)
		var out string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			var status int
			if status, out, _ = c.run(t, "participants"); status == 0 && want.MatchString(out) {
				break
			}
		}
		if !want.MatchString(out) || !strings.HasPrefix(out, "IDENTITY") {
			t.Fatalf("participants printed:\n%s", out)
		}
		t.Logf("lkrpc participants:\n%s", out)
		status, out, _ := c.run(t, "participants", "--json")
		if status != 0 || !strings.Contains(out, `"identity":"agent"`) || !strings.Contains(out, `"services":["example.agent.v1.VoiceAgent"]`) {
			t.Fatalf("participants --json: status %d\n%s", status, out)
		}
	})

	t.Run("raw", func(t *testing.T) {
		status, out, errOut := c.run(t, "call", "agent", "ping", "{}")
		if status != 0 || !strings.Contains(out, `"time": "`) {
			t.Fatalf("raw ping: status %d\n%s%s", status, out, errOut)
		}
		status, out, errOut = c.run(t, "call", "agent", agentv1.VoiceAgentSummarizeMethod, `{"document":{"text":"Raw. Call."}}`)
		if status != 0 || !strings.Contains(out, `"summary": "Raw."`) {
			t.Fatalf("raw Summarize: status %d\n%s%s", status, out, errOut)
		}
	})

	t.Run("typed", func(t *testing.T) {
		status, out, errOut := c.run(t, append(append([]string{"call"}, protoFlags...), "agent", "Summarize", `{"document":{"text":"Typed. Call."}}`)...)
		if status != 0 || !strings.Contains(out, `"summary": "Typed."`) {
			t.Fatalf("typed Summarize: status %d\n%s%s", status, out, errOut)
		}
		// AnnotateTranscript is binary on the wire: the command encodes and decodes it.
		status, out, errOut = c.run(t, append(append([]string{"call", "-v"}, protoFlags...), "agent", "VoiceAgent.AnnotateTranscript",
			`{"transcript":{"utterances":[{"text":"hello"}]}}`)...)
		if status != 0 || !strings.Contains(out, `"speaker": "`) {
			t.Fatalf("typed AnnotateTranscript: status %d\n%s%s", status, out, errOut)
		}
	})

	t.Run("streaming", func(t *testing.T) {
		status, out, errOut := c.run(t, append(append([]string{"call"}, protoFlags...), "agent", "Answer", `{"question":"the CLI","maxTokens":5}`)...)
		want := "{\"text\":\"You\"}\n{\"text\":\" asked\",\"index\":1}\n{\"text\":\" about\",\"index\":2}\n{\"text\":\" the\",\"index\":3}\n{\"text\":\" CLI.\",\"index\":4}\n"
		if status != 0 || out != want {
			t.Fatalf("Answer: status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
		}
	})

	t.Run("errors", func(t *testing.T) {
		status, out, errOut := c.run(t, append(append([]string{"call"}, protoFlags...), "agent", "SetVoice", `{"voiceId":"nova"}`)...)
		if status != 1 || out != "" || !strings.Contains(errOut, "error 4040") || !strings.Contains(errOut, `"availableVoiceIds": [`) {
			t.Fatalf("SetVoice nova: status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
		}
		status, _, errOut = c.run(t, "call", "agent", "no.such/Method", "{}")
		if status != 4 || !strings.Contains(errOut, "error 1400") {
			t.Fatalf("unknown method: status %d\n%s", status, errOut)
		}
		status, _, errOut = c.run(t, append(append([]string{"call"}, protoFlags...), "agent", "Summarize", `{"document":{"txt":"typo"}}`)...)
		if status != 2 || !strings.Contains(errOut, `unknown field "txt"`) {
			t.Fatalf("bad request JSON: status %d\n%s", status, errOut)
		}
		bad := append([]string{}, c.env...)
		c.env = append(c.env, "LIVEKIT_API_SECRET=wrong")
		status, _, errOut = c.run(t, "participants")
		c.env = bad
		if status != 3 || strings.Contains(errOut, "wrong") {
			t.Fatalf("bad secret: status %d\n%s", status, errOut)
		}
	})

	t.Run("via api", func(t *testing.T) {
		status, out, errOut := c.run(t, append(append([]string{"call", "--via", "api"}, protoFlags...), "agent", "GetStatus")...)
		if status != 0 || !strings.Contains(out, `"voiceId": "alloy"`) {
			t.Fatalf("GetStatus through the API: status %d\n%s%s", status, out, errOut)
		}
		big := fmt.Sprintf(`{"document":{"text":%q}}`, strings.Repeat("x", 20<<10))
		start := time.Now()
		status, _, errOut = c.run(t, "call", "--via", "api", "agent", agentv1.VoiceAgentSummarizeMethod, big)
		if status != 6 || !strings.Contains(errOut, "error 1402") || !strings.Contains(errOut, "lkrpc.Connect") {
			t.Fatalf("20 KiB through the API: status %d\n%s", status, errOut)
		}
		t.Logf("20 KiB through the API refused in %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(errOut))
	})
}

// TestProgressBarInATerminal runs a 10 MiB typed call in tmux, as a person
// would, and reads the screen while it runs and when it is over.
func TestProgressBarInATerminal(t *testing.T) {
	srv := lkserver.Require(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is missing: e2e/install.sh installs it")
	}
	room := lkserver.RoomName(t)
	startAgent(t, srv, room)
	c := newCLI(t, room)

	request := filepath.Join(t.TempDir(), "document.json")
	// Random base64 after the first sentence: deflate shrinks it only to
	// about 3/4, so most of the 10 MiB crosses the wire.
	noise := make([]byte, 10<<20*3/4)
	_, _ = rand.Read(noise)
	text := "The meeting went on. " + base64.StdEncoding.EncodeToString(noise)
	if err := os.WriteFile(request, []byte(`{"document":{"title":"10 MiB","text":"`+text+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "call.sh")
	cmd := fmt.Sprintf("cd %q && %q call --room %q %s agent Summarize @%q; echo \"EXIT=$?\"\n",
		c.root, c.bin, room, strings.Join(protoFlags, " "), request)
	if err := os.WriteFile(script, []byte(cmd), 0o700); err != nil {
		t.Fatal(err)
	}
	sock := "lkrpc-" + room
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	envArgs := []string{"new-session", "-d", "-s", "cli", "-x", "120", "-y", "20"}
	for _, kv := range []string{"LIVEKIT_URL=" + lkserver.URL, "LIVEKIT_API_KEY=" + lkserver.APIKey, "LIVEKIT_API_SECRET=" + lkserver.APISecret} {
		envArgs = append(envArgs, "-e", kv)
	}
	tmux(append(envArgs, "bash --norc -i "+script+"; sleep 600")...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", sock, "kill-server").Run() })

	midway := regexp.MustCompile(`sending\s+\d?\d% \|[^|]+\| \([0-9.]+( [KM]iB)?/[0-9.]+ MiB, `)
	var screen string
	sawMidway := ""
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		screen = tmux("capture-pane", "-p", "-t", "cli")
		if m := midway.FindString(screen); m != "" && sawMidway == "" {
			sawMidway = strings.TrimSpace(screen)
		}
		if strings.Contains(screen, "EXIT=") {
			break
		}
	}
	t.Logf("the screen at the end:\n%s", screen)
	if !strings.Contains(screen, "EXIT=0") {
		t.Fatalf("the call did not succeed")
	}
	if sawMidway == "" {
		t.Fatalf("never saw the bar part way")
	}
	t.Logf("the screen part way:\n%s", sawMidway)
	done := regexp.MustCompile(`sending\s+100% \|[^|]+\| \(([0-9.]+)/([0-9.]+) MiB, `)
	m := done.FindStringSubmatch(screen)
	if m == nil || m[1] != m[2] || !strings.Contains(screen, `"summary": "The meeting went on."`) {
		t.Fatalf("no finished bar and reply on the screen")
	}
	if mib, _ := strconv.ParseFloat(m[1], 64); mib < 7 {
		t.Fatalf("the bar counted %s MiB on the wire, want the 10 MiB document's 7.5 MiB or more", m[1])
	}
}
