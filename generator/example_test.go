package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExampleIsFresh generates example/proto in-process, as buf.gen.yaml
// does (with the tool descriptions), and compares it with the committed
// example/gen: a change to the generator that is not followed by
// `buf generate` fails here, without buf.
func TestExampleIsFresh(t *testing.T) {
	req := compileFiles(t, []string{filepath.Join("..", "example", "proto"), optionsImportPath},
		[]string{"agent/v1/agent.proto"}, "module=github.com/lkrpc/lkrpc,json_schema=true")
	run := runPlugin(t, req, false)
	if run.err != "" {
		t.Fatal(run.err)
	}
	names := []string{"example/gen/agent/v1/agent_lkrpc.pb.go", "example/gen/agent/v1/agent_VoiceAgent" + ToolsSuffix}
	if len(run.files) != len(names) {
		t.Fatalf("generated %v, want only %v", keys(run.files), names)
	}
	for _, name := range names {
		committed, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if string(committed) != run.files[name] {
			t.Errorf("%s is stale (run make generate):\n%s",
				name, firstDifference(string(committed), run.files[name]))
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
