package generator

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/lkrpc/lkrpc/generator/internal/synth"
)

var synthOut = flag.String("synth-out", "",
	"write the serialized 500×10 CodeGeneratorRequest of BenchmarkGenerate500x10 to this file, "+
		"to feed the same input to other plugins")

// BenchmarkGenerate500x10 runs the plugin binary's whole path after
// decoding (TrimRequest, protogen's descriptor building, planning,
// emission, formatting, the encoded response) on 500 services of 10 unary
// methods each, built once outside the timed loop.
func BenchmarkGenerate500x10(b *testing.B) {
	benchmarkRespond(b, synth.Request(500, 10))
}

// BenchmarkGenerateWide is BenchmarkGenerate500x10 on the bench's wide
// request (synth.Wide: WideFiles files of WideServices × WideMethods,
// comments on every element, well-known-type imports).
func BenchmarkGenerateWide(b *testing.B) {
	benchmarkRespond(b, synth.Wide(WideFiles, WideServices, WideMethods))
}

func benchmarkRespond(b *testing.B, req *pluginpb.CodeGeneratorRequest) {
	b.ReportAllocs()
	var out countingWriter
	for b.Loop() {
		out = 0
		r := proto.Clone(req).(*pluginpb.CodeGeneratorRequest)
		TrimRequest(r)
		var params Params
		gen, err := protogen.Options{ParamFunc: params.Set}.New(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := params.Respond(gen, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out), "response-bytes")
}

// countingWriter counts what is written to it.
type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// TestSynthRequest checks that a synthetic request generates what it should
// (one file per ServicesPerFile services, the last one partial, every method
// present) and, with -synth-out, writes the 500×10 request for other plugins.
func TestSynthRequest(t *testing.T) {
	const services, methods = synth.ServicesPerFile + 10, 3
	req := synth.Request(services, methods)
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(gen); err != nil {
		t.Fatal(err)
	}
	resp := gen.Response()
	if got := len(resp.GetFile()); got != 2 {
		t.Fatalf("%d files generated, want 2", got)
	}
	invokes := 0
	for _, f := range resp.GetFile() {
		invokes += strings.Count(f.GetContent(), "lkrpc.Call[")
	}
	if invokes != services*methods {
		t.Errorf("%d client methods generated, want %d", invokes, services*methods)
	}
	if *synthOut != "" {
		wire, err := proto.Marshal(synth.Request(500, 10))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*synthOut, wire, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d bytes to %s", len(wire), *synthOut)
	}
}

var synthWideOut = flag.String("synth-wide-out", "",
	"write the serialized wide CodeGeneratorRequest (synth.Wide: WideFiles files of WideServices × WideMethods, "+
		"comments on every element, well-known-type imports) to this file, to feed the same input to other plugins")

// The wide request bench/gen feeds every plugin besides the 500×10 one.
const WideFiles, WideServices, WideMethods = 50, 2, 5

// TestSynthWideRequest checks that a wide request generates one file per
// proto file with every method, and that the well-known types are
// imported, not generated; with -synth-wide-out it writes the bench's.
func TestSynthWideRequest(t *testing.T) {
	const files, services, methods = 3, 2, 4
	gen, err := protogen.Options{}.New(synth.Wide(files, services, methods))
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(gen); err != nil {
		t.Fatal(err)
	}
	resp := gen.Response()
	if resp.GetError() != "" || len(resp.GetFile()) != files {
		t.Fatalf("error %q, %d files generated, want %d", resp.GetError(), len(resp.GetFile()), files)
	}
	invokes := 0
	for _, f := range resp.GetFile() {
		invokes += strings.Count(f.GetContent(), "lkrpc.Call[")
		if !strings.Contains(f.GetContent(), "google.golang.org/protobuf/types/known/emptypb") {
			t.Errorf("%s does not import emptypb", f.GetName())
		}
	}
	if invokes != files*services*methods {
		t.Errorf("%d client methods generated, want %d", invokes, files*services*methods)
	}
	if *synthWideOut != "" {
		wire, err := proto.Marshal(synth.Wide(WideFiles, WideServices, WideMethods))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*synthWideOut, wire, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d bytes to %s", len(wire), *synthWideOut)
	}
}

// TestPeakRSS500x10 builds the plugin binary and runs it once, as protoc
// would, on the serialized 500×10 request, and reports the child's peak
// resident memory. It fails if the run fails or uses more than 1 GiB.
func TestPeakRSS500x10(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "protoc-gen-lkrpc")
	build := exec.Command("go", "build", "-o", bin, "../cmd/protoc-gen-lkrpc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wire, err := proto.Marshal(synth.Request(500, 10))
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(bin)
	run.Stdin = strings.NewReader(string(wire))
	out, err := run.Output()
	if err != nil {
		t.Fatalf("plugin run: %v", err)
	}
	resp := new(pluginpb.CodeGeneratorResponse)
	if err := proto.Unmarshal(out, resp); err != nil {
		t.Fatal(err)
	}
	if resp.GetError() != "" || len(resp.GetFile()) != 500/synth.ServicesPerFile {
		t.Fatalf("plugin answered error %q with %d files", resp.GetError(), len(resp.GetFile()))
	}
	usage, ok := run.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatalf("no rusage for the child on this platform")
	}
	peakMiB := float64(usage.Maxrss) / 1024 // ru_maxrss is in KiB on Linux…
	if runtime.GOOS == "darwin" {
		peakMiB /= 1024 // …and in bytes on macOS
	}
	t.Logf("protoc-gen-lkrpc 500×10: request %d bytes, response %d bytes, peak RSS %.1f MiB, user %v, sys %v",
		len(wire), len(out), peakMiB, run.ProcessState.UserTime(), run.ProcessState.SystemTime())
	if peakMiB > 1024 {
		t.Errorf("peak RSS %.1f MiB is over 1 GiB", peakMiB)
	}
}
