package generator

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldensCompile generates every golden case together with
// protoc-gen-go's output into one temporary module that requires this
// repository through a replace directive, then runs go build and go vet on
// it: the generated code must compile against the real runtime.
func TestGoldensCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	repoRoot, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range goldenCases {
		run := runPlugin(t, compileRequest(t, filepath.Join("testdata", tc.name), tc.param), true)
		if run.err != "" {
			t.Fatalf("%s: generation failed: %s", tc.name, run.err)
		}
		for name, content := range run.files {
			if !strings.HasSuffix(name, ".go") {
				continue // tool descriptions: checked in schema_test.go
			}
			writeAtImportPath(t, dir, run.importPaths[name], name, content)
		}
	}
	writeModule(t, dir, repoRoot)
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		// The module has this repository's requirements and go.sum, so a
		// machine that has built this repository has every module it needs;
		// one that has not (go test ./generator/ alone on a fresh machine)
		// fetches them as that build would.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in the golden module: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// writeAtImportPath writes a generated file into the package directory its Go
// import path names inside the golden module.
func writeAtImportPath(t *testing.T, moduleDir, importPath, name, content string) {
	t.Helper()
	rel, ok := strings.CutPrefix(importPath, goldenModule+"/")
	if !ok {
		t.Fatalf("%s: import path %q is outside %s", name, importPath, goldenModule)
	}
	file := filepath.Join(moduleDir, filepath.FromSlash(rel), path.Base(name))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeModule makes moduleDir the module goldenModule, requiring this
// repository (replaced by its working tree) with this repository's own
// requirements and go.sum: then the build needs no module this repository's
// build did not already fetch (with lkrpc alone required, the go command
// would look up the go.mod files of older versions in the graph, which
// nothing had fetched).
func writeModule(t *testing.T, moduleDir, repoRoot string) {
	t.Helper()
	own, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	_, requirements, ok := strings.Cut(string(own), "\n")
	if !ok || !strings.HasPrefix(string(own), "module github.com/lkrpc/lkrpc\n") {
		t.Fatalf("unexpected go.mod:\n%s", own)
	}
	goMod := "module " + goldenModule + "\n" + requirements +
		"\nrequire github.com/lkrpc/lkrpc v0.0.0\n\n" +
		"replace github.com/lkrpc/lkrpc => " + repoRoot + "\n"
	if err := os.WriteFile(filepath.Join(moduleDir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(moduleDir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
