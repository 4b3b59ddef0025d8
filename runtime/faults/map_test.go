package faults_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sections maps the headings of FAULTS.md to the directory whose tests
// their tables list; a table before any listed heading lists this
// package's.
var sections = map[string]string{
	"## On the real server (`e2e/faults`)":            "../../e2e/faults",
	"## Recovery on the real server (`e2e/recovery`)": "../../e2e/recovery",
}

// notInMatrix are the tests that are not fault cases.
var notInMatrix = []string{"TestFaultsMapComplete", "TestPeakMemory100Streams10MiB", "TestMain"}

// TestFaultsMapComplete keeps FAULTS.md and the tests in step: every test
// a table names exists in its section's package, and every fault test of
// those packages is in its table.
func TestFaultsMapComplete(t *testing.T) {
	table, err := os.ReadFile("FAULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := tableTests(string(table))
	if len(listed["."]) == 0 || len(listed["../../e2e/faults"]) == 0 {
		t.Fatalf("FAULTS.md names no tests for a package: %v", listed)
	}
	for dir, names := range listed {
		defined := definedTests(t, dir)
		for _, name := range names {
			if !slices.Contains(defined, name) {
				t.Errorf("FAULTS.md names %s, which is not a test in %s", name, dir)
			}
		}
		for _, name := range defined {
			if !slices.Contains(names, name) && !slices.Contains(notInMatrix, name) {
				t.Errorf("%s (in %s) is not in its FAULTS.md table", name, dir)
			}
		}
	}
}

// tableTests returns the test names in the last column of the table rows,
// by the directory their section is about.
func tableTests(md string) map[string][]string {
	cell := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`\\s*\\|\\s*$")
	names := map[string][]string{}
	dir := "."
	for line := range strings.Lines(md) {
		line = strings.TrimRight(line, "\n")
		if d, ok := sections[line]; ok {
			dir = d
		}
		if m := cell.FindStringSubmatch(line); m != nil {
			names[dir] = append(names[dir], m[1])
		}
	}
	return names
}

// definedTests parses the test files in dir for top-level Test functions.
func definedTests(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no test files in %s", dir)
	}
	fset := token.NewFileSet()
	var names []string
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range parsed.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				names = append(names, fn.Name.Name)
			}
		}
	}
	return names
}
