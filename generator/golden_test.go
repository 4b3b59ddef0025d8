package generator

import (
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCase is one directory of testdata compiled and generated together.
type goldenCase struct {
	name  string
	param string // the plugin parameter, as --lkrpc_opt passes it
}

// goldenCases are the directories under testdata whose output is kept under
// testdata/golden/<name>/. Every case's go_package is under
// example.com/golden/<name>, so all of them build as one module.
var goldenCases = []goldenCase{
	{name: "single"},
	{name: "nopackage"},
	{name: "multifile"},
	{name: "imports"},
	{name: "samename"},
	{name: "nested"},
	{name: "collisions"},
	{name: "proto2"},
	{name: "optional"},
	{name: "editions"},
	{name: "empty"},
	{name: "options"},
	{name: "deprecated"},
	{name: "source_relative", param: "paths=source_relative,json_schema=true"},
	{name: "module", param: "module=example.com/golden/module,json_schema=true"},
	{name: "schema", param: "json_schema=true"},
	{name: "streaming", param: "json_schema=true"},
}

// goldenModule is the module path every golden case's Go packages are in.
const goldenModule = "example.com/golden"

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			run := runPlugin(t, compileRequest(t, filepath.Join("testdata", tc.name), tc.param), false)
			if run.err != "" {
				t.Fatalf("generation failed: %s", run.err)
			}
			dir := filepath.Join("testdata", "golden", tc.name)
			if *update {
				writeGoldens(t, dir, run.files)
			}
			checkGoldens(t, dir, run.files)
		})
	}
}

// checkGoldens asserts that files are exactly the goldens in dir: the same
// names, the same bytes, and gofmt'd.
func checkGoldens(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	want := readGoldens(t, dir)
	for name, content := range files {
		golden, ok := want[name]
		switch {
		case !ok:
			t.Errorf("unexpected output %s (run go test ./generator -update)", name)
		case golden != content:
			t.Errorf("%s differs from its golden (run go test ./generator -update to accept):\n%s",
				name, firstDifference(golden, content))
		}
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if formatted, err := format.Source([]byte(content)); err != nil {
			t.Errorf("%s does not parse: %v", name, err)
		} else if string(formatted) != content {
			t.Errorf("%s is not gofmt'd", name)
		}
	}
	for name := range want {
		if _, ok := files[name]; !ok {
			t.Errorf("golden %s was not generated", name)
		}
	}
}

func readGoldens(t *testing.T, dir string) map[string]string {
	t.Helper()
	goldens := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		goldens[filepath.ToSlash(rel)] = string(content)
		return err
	})
	if err != nil {
		t.Fatalf("reading goldens: %v", err)
	}
	return goldens
}

// writeGoldens replaces dir with files. The go command ignores testdata, so
// the goldens keep their .go names without being built with this module.
func writeGoldens(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(files[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// firstDifference shows the first line where got departs from want.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(no line differs)"
}
