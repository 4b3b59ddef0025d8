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

// notInMatrix are the tests of this package that are not fault cases.
var notInMatrix = []string{"TestFaultsMapComplete", "TestPeakMemory100Streams10MiB"}

// TestFaultsMapComplete keeps FAULTS.md and the tests in step: every test
// the table names exists, and every fault test is in the table.
func TestFaultsMapComplete(t *testing.T) {
	table, err := os.ReadFile("FAULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := tableTests(string(table))
	if len(listed) == 0 {
		t.Fatal("FAULTS.md names no tests")
	}
	defined := definedTests(t)
	for _, name := range listed {
		if !slices.Contains(defined, name) {
			t.Errorf("FAULTS.md names %s, which is not a test of this package", name)
		}
	}
	for _, name := range defined {
		if !slices.Contains(listed, name) && !slices.Contains(notInMatrix, name) {
			t.Errorf("%s is not in the FAULTS.md table", name)
		}
	}
}

// tableTests returns the test names in the last column of the table rows.
func tableTests(md string) []string {
	cell := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`\\s*\\|\\s*$")
	var names []string
	for line := range strings.Lines(md) {
		if m := cell.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// definedTests parses this package's test files for top-level Test
// functions.
func definedTests(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
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
