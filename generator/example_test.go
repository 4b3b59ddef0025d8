package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExampleIsFresh generates example/proto in-process, as buf.gen.yaml
// does, and compares it with the committed example/gen: a change to the
// generator that is not followed by `buf generate` fails here, without buf.
func TestExampleIsFresh(t *testing.T) {
	req := compileFiles(t, []string{filepath.Join("..", "example", "proto"), optionsImportPath},
		[]string{"agent/v1/agent.proto"}, "module=github.com/lkrpc/lkrpc")
	run := runPlugin(t, req, false)
	if run.err != "" {
		t.Fatal(run.err)
	}
	const name = "example/gen/agent/v1/agent_lkrpc.pb.go"
	if len(run.files) != 1 || run.files[name] == "" {
		t.Fatalf("generated %v, want only %s", keys(run.files), name)
	}
	committed, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != run.files[name] {
		t.Errorf("%s is stale (run go tool -modfile=tools/go.mod buf generate):\n%s",
			name, firstDifference(string(committed), run.files[name]))
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
