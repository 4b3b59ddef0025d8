package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/lkrpc/lkrpc/example/agent"
	agentv1 "github.com/lkrpc/lkrpc/example/gen/agent/v1"
	lkrpc "github.com/lkrpc/lkrpc/runtime"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
)

// protoFlags describe the example agent to the command.
var protoFlags = []string{"--proto", "../../example/proto/agent/v1/agent.proto", "-I", "../../example/proto"}

// env is a configured environment whose server is an in-memory room with
// the example agent in it as "agent".
func env(t *testing.T) func(string) string {
	t.Helper()
	room, err := memroom.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(room.Close)
	a, err := lkrpc.ConnectMemory(room, "agent", lkrpc.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if _, err := agentv1.RegisterVoiceAgentHandler(a, agent.New("alloy", "echo")); err != nil {
		t.Fatal(err)
	}
	saved := connect
	connect = func(_ context.Context, _, _ string, opts ...lkrpc.ConnectOption) (*lkrpc.Conn, error) {
		return lkrpc.ConnectMemory(room, "cli", opts...)
	}
	t.Cleanup(func() { connect = saved })
	vars := map[string]string{"LIVEKIT_URL": "ws://memory", "LIVEKIT_API_KEY": "key", "LIVEKIT_API_SECRET": "secret"}
	return func(k string) string { return vars[k] }
}

type result struct {
	status         int
	stdout, stderr string
}

func runCLI(t *testing.T, getenv func(string) string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status := run(ctx, args, stdio{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, getenv)
	return result{status, out.String(), errOut.String()}
}

func TestCallTypedByProtoName(t *testing.T) {
	getenv := env(t)
	args := append([]string{"call", "--room", "r"}, protoFlags...)
	r := runCLI(t, getenv, "", append(args, "agent", "Summarize", `{"document":{"title":"t","text":"First sentence. Second."}}`)...)
	if r.status != exitOK || !strings.Contains(r.stdout, `"summary": "First sentence."`) {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	// The wire name and the full proto name reach the same method; a request
	// from standard input works too.
	for _, name := range []string{"example.agent.v1.VoiceAgent/GetStatus", "example.agent.v1.VoiceAgent.GetStatus", "VoiceAgent/GetStatus"} {
		if r := runCLI(t, getenv, "{}", append(args, "agent", name, "-")...); r.status != exitOK || !strings.Contains(r.stdout, `"voiceId": "alloy"`) {
			t.Fatalf("%s: status %d\nstdout:\n%s\nstderr:\n%s", name, r.status, r.stdout, r.stderr)
		}
	}
}

func TestCallTypedChecksTheRequestBeforeSending(t *testing.T) {
	getenv := env(t)
	args := append([]string{"call", "--room", "r"}, protoFlags...)
	r := runCLI(t, getenv, "", append(args, "agent", "Summarize", `{"document":{"titel":"typo"}}`)...)
	if r.status != exitUsage || !strings.Contains(r.stderr, "not a valid example.agent.v1.SummarizeRequest") || !strings.Contains(r.stderr, "titel") {
		t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
	}
	r = runCLI(t, getenv, "", append(args, "agent", "Summarise", `{}`)...)
	if r.status != exitUsage || !strings.Contains(r.stderr, `no method "Summarise"`) || !strings.Contains(r.stderr, `example.agent.v1.VoiceAgent.Summarize (wire name "example.agent.v1.VoiceAgent/Summarize")`) {
		t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
	}
}

func TestCallErrorShowsCodeAndDetails(t *testing.T) {
	getenv := env(t)
	args := append([]string{"call", "--room", "r"}, protoFlags...)
	r := runCLI(t, getenv, "", append(args, "agent", "SetVoice", `{"voiceId":"nova"}`)...)
	if r.status != exitApplication || !strings.Contains(r.stderr, "error 4040") ||
		!strings.Contains(r.stderr, `"@type": "type.googleapis.com/example.agent.v1.VoiceUnavailable"`) || r.stdout != "" {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	r = runCLI(t, getenv, "", "call", "--room", "r", "agent", "no.such/Method", "{}")
	if r.status != exitUnreachable || !strings.Contains(r.stderr, "error 1400") {
		t.Fatalf("unknown method: status %d, stderr:\n%s", r.status, r.stderr)
	}
}

func TestCallRawPrettyPrintsJSON(t *testing.T) {
	getenv := env(t)
	r := runCLI(t, getenv, "", "call", "agent", "ping", "{}", "--room", "r") // flags after the arguments too
	if r.status != exitOK || !strings.HasPrefix(r.stdout, "{\n  \"time\": \"") {
		t.Fatalf("status %d, stdout %q, stderr:\n%s", r.status, r.stdout, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(file, []byte(`{"document":{"text":"One. Two."},"maxWords":3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, getenv, "", "call", "--room", "r", "agent", agentv1.VoiceAgentSummarizeMethod, "@"+file)
	if r.status != exitOK || r.stdout != "{\n  \"summary\": \"One.\",\n  \"keyPoints\": [\n    \"One.\"\n  ]\n}\n" {
		t.Fatalf("status %d, stdout %q, stderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

func TestCallProgressBarOnLargePayloads(t *testing.T) {
	getenv := env(t)
	// 2 MiB of counting: compressible, but not into one packet (a
	// repeated word is, and would go as a single packet).
	var b strings.Builder
	for i := 0; b.Len() < 2<<20; i++ {
		fmt.Fprintf(&b, "word%d ", i)
	}
	text := b.String()
	file := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(file, []byte(`{"document":{"text":"`+text+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"call", "--room", "r", "--progress", "always", "-v"}, protoFlags...)
	r := runCLI(t, getenv, "", append(args, "agent", "Summarize", "@"+file)...)
	if r.status != exitOK {
		t.Fatalf("status %d, stderr:\n%s", r.status, r.stderr)
	}
	if !strings.Contains(r.stderr, "sending") || !strings.Contains(r.stderr, "100%") || !strings.Contains(r.stderr, "v2 stream") {
		t.Fatalf("no complete progress bar in stderr:\n%s", r.stderr)
	}
	r = runCLI(t, getenv, "", append(args[:3:3], "--progress", "never", "agent", agentv1.VoiceAgentSummarizeMethod, "@"+file)...)
	if r.status != exitOK || strings.Contains(r.stderr, "sending") {
		t.Fatalf("--progress never: status %d, stderr:\n%s", r.status, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	getenv := env(t)
	none := func(string) string { return "" }
	for _, tc := range []struct {
		getenv func(string) string
		args   []string
		want   string
	}{
		{getenv, []string{}, "Usage:"},
		{getenv, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{getenv, []string{"call", "--room", "r", "agent"}, "call wants <identity> <method>"},
		{none, []string{"call", "--room", "r", "agent", "ping"}, "set LIVEKIT_URL or --url"},
		{getenv, []string{"call", "agent", "ping"}, "no room: give --room"},
		{getenv, []string{"call", "--room", "r", "--via", "carrier-pigeon", "agent", "ping"}, `--via "carrier-pigeon"`},
		{getenv, []string{"call", "--room", "r", "--codec", "binary", "agent", "ping"}, "--codec binary needs the method's descriptors"},
		{getenv, []string{"call", "--room", "r", "--bogus", "agent", "ping"}, "flag provided but not defined: -bogus"},
		{getenv, []string{"call", "--room", "r", "agent", "ping", "@/no/such/file"}, "reading the request"},
		{getenv, []string{"participants", "--room", "r", "extra"}, "participants takes no arguments"},
	} {
		r := runCLI(t, tc.getenv, "", tc.args...)
		if r.status != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: status %d, stderr:\n%s\nwant status 2 and %q", tc.args, r.status, r.stderr, tc.want)
		}
	}
}

func TestHelpNeverPrintsTheSecret(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"LIVEKIT_API_SECRET": "s3cr3t"}[k] }
	for _, args := range [][]string{{"call", "-h"}, {"participants", "-h"}, {"help", "call"}} {
		r := runCLI(t, getenv, "", args...)
		if r.status != exitOK || strings.Contains(r.stdout+r.stderr, "s3cr3t") || !strings.Contains(r.stdout+r.stderr, "LIVEKIT_API_SECRET") {
			t.Errorf("%q: status %d, output:\n%s%s", args, r.status, r.stdout, r.stderr)
		}
	}
}

func TestExitStatusByClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{usagef("x"), exitUsage},
		{&connectError{errors.New("refused")}, exitConnect},
		{context.Canceled, exitInterrupted},
		{rpcerr.Builtin(rpcerr.ApplicationError), exitApplication},
		{lkrpc.NewError(4040, "voice"), exitApplication},
		{rpcerr.New(lkrpc.PermissionDenied, "no"), exitApplication},
		{rpcerr.Builtin(rpcerr.UnsupportedMethod), exitUnreachable},
		{rpcerr.Builtin(rpcerr.RecipientNotFound), exitUnreachable},
		{rpcerr.Builtin(rpcerr.RecipientDisconnected), exitUnreachable},
		{rpcerr.Builtin(rpcerr.ConnectionTimeout), exitTimeout},
		{rpcerr.Builtin(rpcerr.ResponseTimeout), exitTimeout},
		{rpcerr.Builtin(rpcerr.RequestPayloadTooLarge), exitTooLarge},
		{rpcerr.Builtin(rpcerr.ResponsePayloadTooLarge), exitTooLarge},
		{rpcerr.Builtin(rpcerr.SendFailed), exitTransport},
		{rpcerr.New(lkrpc.MalformedResponse, "bad"), exitTransport},
		{errors.New("other"), exitTransport},
	} {
		if got := exitStatus(tc.err); got != tc.want {
			t.Errorf("exitStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	room := fs.String("room", "", "")
	pos, err := parseFlags(fs, []string{"a", "--room", "r", "b", "--", "--c"}, "", &bytes.Buffer{})
	if err != nil || *room != "r" || strings.Join(pos, " ") != "a b --c" {
		t.Fatalf("pos %q, room %q, err %v", pos, *room, err)
	}
}

func TestCallStreamingPrintsEachMessage(t *testing.T) {
	getenv := env(t)
	args := append([]string{"call", "--room", "r"}, protoFlags...)
	r := runCLI(t, getenv, "", append(args, "agent", "Answer", `{"question":"lines","maxTokens":4}`)...)
	want := "{\"text\":\"You\"}\n{\"text\":\" asked\",\"index\":1}\n{\"text\":\" about\",\"index\":2}\n{\"text\":\" lines.\",\"index\":3}\n"
	if r.status != exitOK || r.stdout != want {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	r = runCLI(t, getenv, "", "call", "--room", "r", "--stream", "agent", agentv1.VoiceAgentAnswerMethod, `{"maxTokens":2}`)
	if r.status != exitOK || r.stdout != "{\"text\":\"You\"}\n{\"text\":\" asked\",\"index\":1}\n" {
		t.Fatalf("raw: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

// A descriptor set (buf build -o, protoc --include_imports
// --descriptor_set_out) describes the service as a .proto does; lkrpc's
// options in it arrive as unknown fields and still decide the wire name.
func TestCallTypedFromADescriptorSet(t *testing.T) {
	getenv := env(t)
	var set descriptorpb.FileDescriptorSet
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(agentv1.File_agent_v1_agent_proto)
	raw, err := proto.Marshal(&set)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "agent.binpb")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, getenv, "", "call", "--room", "r", "--descriptor-set", file, "agent", "Ping", "{}")
	if r.status != exitOK || !strings.Contains(r.stdout, `"time": "`) {
		t.Fatalf("Ping (wire name \"ping\" from the set's options): status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	r = runCLI(t, getenv, "", "call", "--room", "r", "--descriptor-set", "/no/such.binpb", "agent", "Ping")
	if r.status != exitUsage || !strings.Contains(r.stderr, "--descriptor-set") {
		t.Fatalf("missing set: status %d, stderr:\n%s", r.status, r.stderr)
	}
}
