package generator

import (
	"context"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"
)

// optionsImportPath is where the lkrpc options live, for test protos that
// import lkrpc/v1/options.proto.
const optionsImportPath = "../proto"

// compileRequest compiles every .proto file under dir with protocompile, as
// protoc would (with standard source info, so comments reach the generator),
// and returns the request a plugin would get for them with param.
func compileRequest(t testing.TB, dir, param string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".proto") {
			rel, relErr := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
			return relErr
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return compileFiles(t, []string{dir, optionsImportPath}, files, param)
}

// compileFiles compiles files (relative to importPaths) into a request.
func compileFiles(t testing.TB, importPaths, files []string, param string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	compiler := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: importPaths}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := compiler.Compile(context.Background(), files...)
	if err != nil {
		t.Fatalf("compile %v: %v", files, err)
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: files}
	if param != "" {
		req.Parameter = proto.String(param)
	}
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
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, fd := range compiled {
		add(fd)
	}
	// Round-trip through the wire form, as a real plugin receives it, so that
	// custom options are decoded with the extensions linked into the test.
	wire, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	decoded := new(pluginpb.CodeGeneratorRequest)
	if err := proto.Unmarshal(wire, decoded); err != nil {
		t.Fatal(err)
	}
	return decoded
}

// pluginRun is the outcome of running the plugin on a request.
type pluginRun struct {
	// files maps each output file name to its content.
	files map[string]string
	// importPaths maps each output Go file's name to its Go import path.
	importPaths map[string]string
	// err is the plugin's error text (CodeGeneratorResponse.error), or "".
	err string
}

// runPlugin runs Generate on req in-process, and protoc-gen-go as well when
// withProtocGenGo is set (the .pb.go files the generated code needs).
func runPlugin(t testing.TB, req *pluginpb.CodeGeneratorRequest, withProtocGenGo bool) pluginRun {
	t.Helper()
	checkRespond(t, req) // the binary's path (Respond) writes what protogen does
	var params Params
	gen, err := protogen.Options{ParamFunc: params.Set}.New(req)
	if err != nil {
		t.Fatalf("protogen: %v", err)
	}
	run := pluginRun{files: map[string]string{}, importPaths: map[string]string{}}
	if err := params.Generate(gen); err != nil {
		gen.Error(err)
	}
	if withProtocGenGo {
		internal_gengo.GenerateVersionMarkers = false
		for _, f := range gen.Files {
			if f.Generate {
				internal_gengo.GenerateFile(gen, f)
			}
		}
	}
	// protogen strips module= from file names only in the response.
	var module string
	for _, p := range strings.Split(req.GetParameter(), ",") {
		if m, ok := strings.CutPrefix(p, "module="); ok {
			module = m + "/"
		}
	}
	for _, f := range gen.Files {
		prefix := strings.TrimPrefix(f.GeneratedFilenamePrefix, module)
		run.importPaths[prefix+FileSuffix] = string(f.GoImportPath)
		run.importPaths[prefix+".pb.go"] = string(f.GoImportPath)
	}
	resp := gen.Response()
	run.err = resp.GetError()
	if run.err != "" {
		return run
	}
	if got, want := resp.GetSupportedFeatures(), SupportedFeatures; got != want {
		t.Errorf("supported features = %b, want %b", got, want)
	}
	for _, f := range resp.GetFile() {
		run.files[f.GetName()] = f.GetContent()
	}
	return run
}
