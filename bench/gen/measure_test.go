package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// fakePlugin is a shell script that answers any request with resp.
func fakePlugin(t *testing.T, resp *pluginpb.CodeGeneratorResponse) plugin {
	t.Helper()
	dir := t.TempDir()
	wire, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	answer := filepath.Join(dir, "response.bin")
	if err := os.WriteFile(answer, wire, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "protoc-gen-fake")
	body := "#!/bin/sh\ncat >/dev/null\ncat '" + answer + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return plugin{name: "protoc-gen-fake", path: script}
}

func files(contents ...string) []*pluginpb.CodeGeneratorResponse_File {
	out := make([]*pluginpb.CodeGeneratorResponse_File, len(contents))
	for i, c := range contents {
		out[i] = &pluginpb.CodeGeneratorResponse_File{Name: proto.String("f.go"), Content: proto.String(c)}
	}
	return out
}

func TestMeasureChecksTheResponse(t *testing.T) {
	req := request{wire: []byte("ignored"), serviceFiles: 2}
	good := fakePlugin(t, &pluginpb.CodeGeneratorResponse{File: files("package a\n", "package bb\n")})
	s, err := measure(good, req)
	if err != nil {
		t.Fatalf("a correct response was refused: %v", err)
	}
	if s.outputBytes != len("package a\n")+len("package bb\n") || s.wall <= 0 || s.peakRSS <= 0 {
		t.Errorf("sample %+v: want the output size, a wall time and a peak RSS", s)
	}

	for name, tc := range map[string]struct {
		resp *pluginpb.CodeGeneratorResponse
		want string
	}{
		"too few files": {&pluginpb.CodeGeneratorResponse{File: files("package a\n")}, "1 files generated, want 2"},
		"an error":      {&pluginpb.CodeGeneratorResponse{Error: proto.String("boom")}, "plugin error: boom"},
	} {
		if _, err := measure(fakePlugin(t, tc.resp), req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

func TestMeasureAllInterleaves(t *testing.T) {
	req := request{wire: []byte("x"), serviceFiles: 1}
	p := fakePlugin(t, &pluginpb.CodeGeneratorResponse{File: files("package a\n")})
	a, b := p, p
	a.name, b.name = "a", "b"
	results, err := measureAll([]plugin{a, b}, req, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].name != "a" || results[1].name != "b" {
		t.Fatalf("results %+v: want one per plugin, in plugin order", results)
	}
	for _, r := range results {
		if len(r.samples) != 3 {
			t.Errorf("%s has %d samples, want 3", r.name, len(r.samples))
		}
	}
}

func TestReformatCost(t *testing.T) {
	if _, err := reformatCost([]string{"package a\n\nfunc f() {}\n"}); err != nil {
		t.Errorf("valid Go refused: %v", err)
	}
	if _, err := reformatCost([]string{"package a\n\nfunc {\n"}); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("broken Go: error %v, want one saying it does not parse", err)
	}
}

func TestParseUsage(t *testing.T) {
	u, err := parseUsage("1500000000 1200000000 78643200\n")
	if err != nil || u.wall != 1500*time.Millisecond || u.cpu != 1200*time.Millisecond || u.peakRSS != 75<<20 {
		t.Errorf("parseUsage = %+v, %v", u, err)
	}
	for _, bad := range []string{"", "1 2", "1 2 3 4", "1 x 3", "1 -2 3"} {
		if _, err := parseUsage(bad); err == nil {
			t.Errorf("parseUsage(%q) accepted", bad)
		}
	}
}

// TestLauncherPeakRSSIsTheChilds checks the reason the launcher exists: a
// plugin's peak RSS is its own, not this (larger) process's.
func TestLauncherPeakRSSIsTheChilds(t *testing.T) {
	ballast := make([]byte, 256<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1 // touch every page so that it is resident
	}
	p := fakePlugin(t, &pluginpb.CodeGeneratorResponse{File: files("package a\n")})
	s, err := measure(p, request{wire: []byte("x"), serviceFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.peakRSS >= 128<<20 {
		t.Errorf("a shell script's peak RSS is %d MiB: the parent's 256 MiB leaked into it", s.peakRSS>>20)
	}
	runtime.KeepAlive(ballast)
}

// TestLauncherFloorIsSmall checks why the launcher is a program of its own:
// its own peak, below which no plugin's figure can go, is a few MiB (a
// copy of bench/gen in that role peaked at 15.3 MiB, above protoc-gen-lkrpc's
// real peak on the wide request).
func TestLauncherFloorIsSmall(t *testing.T) {
	bin := filepath.Join(t.TempDir(), launcherName)
	if err := goBuild(".", bin, "./launcher"); err != nil {
		t.Fatal(err)
	}
	saved := launcher
	launcher = []string{bin}
	t.Cleanup(func() { launcher = saved })
	p := fakePlugin(t, &pluginpb.CodeGeneratorResponse{File: files("package a\n")})
	s, err := measure(p, request{wire: []byte("x"), serviceFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.peakRSS > 8<<20 {
		t.Errorf("a shell script's peak RSS through the launcher is %.1f MiB: the launcher's own floor is too high", float64(s.peakRSS)/(1<<20))
	}
}
