package conformance_test

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

// protocolPath is the repository's protocol document, docs/PROTOCOL.md.
const protocolPath = "../../docs/PROTOCOL.md"

// TestRulesMapComplete keeps RULES.md honest: every test it names exists,
// every test of this package is named there, and every numbered section of
// PROTOCOL.md has its entry.
func TestRulesMapComplete(t *testing.T) {
	doc, err := os.ReadFile("RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		named[m[1]] = true
	}

	defined := map[string]bool{}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
				defined[fn.Name.Name] = true
			}
		}
	}
	if len(defined) < 50 {
		t.Fatalf("found only %d tests: is the parse broken?", len(defined))
	}
	for name := range named {
		if !defined[name] {
			t.Errorf("RULES.md names %s, which does not exist", name)
		}
	}
	for name := range defined {
		if !named[name] {
			t.Errorf("%s is not mapped to a rule in RULES.md", name)
		}
	}

	protocol, err := os.ReadFile(protocolPath)
	if err != nil {
		t.Fatalf("docs/PROTOCOL.md: %v", err)
	}
	var sections []string
	for _, m := range regexp.MustCompile(`(?m)^#{2,3} (\d+(?:\.\d+)?)[. ]`).FindAllStringSubmatch(string(protocol), -1) {
		sections = append(sections, m[1])
	}
	if !slices.Contains(sections, "3.6") || !slices.Contains(sections, "5") {
		t.Fatalf("read sections %v from PROTOCOL.md: is the parse broken?", sections)
	}
	for _, s := range sections {
		if !regexp.MustCompile(`§` + regexp.QuoteMeta(s) + `\b`).Match(doc) {
			t.Errorf("PROTOCOL.md §%s has no entry in RULES.md", s)
		}
	}
}
