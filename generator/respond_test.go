package generator

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/lkrpc/lkrpc/generator/internal/synth"
)

// newPlugin is protogen's plugin for req with the parameters it names.
func newPlugin(t testing.TB, req *pluginpb.CodeGeneratorRequest) (*Params, *protogen.Plugin) {
	t.Helper()
	params := new(Params)
	gen, err := protogen.Options{ParamFunc: params.Set}.New(req)
	if err != nil {
		t.Fatalf("protogen: %v", err)
	}
	return params, gen
}

// protogenResponse is what protogen.Options.Run writes for req after
// Generate: the reference Respond must equal byte for byte.
func protogenResponse(t testing.TB, req *pluginpb.CodeGeneratorRequest) []byte {
	t.Helper()
	params, gen := newPlugin(t, req)
	if err := params.Generate(gen); err != nil {
		gen.Error(err)
	}
	wire, err := proto.Marshal(gen.Response())
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// respondResponse is what the plugin binary writes for req (TrimRequest,
// then Respond), on a copy of req.
func respondResponse(t testing.TB, req *pluginpb.CodeGeneratorRequest) []byte {
	t.Helper()
	req = proto.Clone(req).(*pluginpb.CodeGeneratorRequest)
	TrimRequest(req)
	params, gen := newPlugin(t, req)
	var out bytes.Buffer
	if err := params.Respond(gen, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// checkRespond fails t unless Respond writes for req exactly the bytes
// protogen writes after Generate, naming the first file that differs.
func checkRespond(t testing.TB, req *pluginpb.CodeGeneratorRequest) {
	t.Helper()
	want, got := protogenResponse(t, req), respondResponse(t, req)
	if bytes.Equal(got, want) {
		return
	}
	var wantResp, gotResp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(want, &wantResp); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(got, &gotResp); err != nil {
		t.Fatalf("Respond wrote an unreadable response: %v", err)
	}
	if gotResp.GetError() != wantResp.GetError() {
		t.Fatalf("Respond: error %q, protogen: %q", gotResp.GetError(), wantResp.GetError())
	}
	if len(gotResp.GetFile()) != len(wantResp.GetFile()) {
		t.Fatalf("Respond wrote %d files, protogen %d", len(gotResp.GetFile()), len(wantResp.GetFile()))
	}
	for i, w := range wantResp.GetFile() {
		if g := gotResp.GetFile()[i]; !proto.Equal(g, w) {
			t.Fatalf("file %d: Respond wrote %s:\n%s\nprotogen %s:\n%s", i, g.GetName(), g.GetContent(), w.GetName(), w.GetContent())
		}
	}
	t.Fatalf("Respond's response differs from protogen's outside the files:\n%x\n%x", got[:min(len(got), 64)], want[:min(len(want), 64)])
}

// TestRespondSynth compares Respond with protogen on both bench requests
// (smaller), with and without the tool descriptions.
func TestRespondSynth(t *testing.T) {
	for _, param := range []string{"", "paths=source_relative,json_schema=true", "module=example.com/synth"} {
		for _, req := range []*pluginpb.CodeGeneratorRequest{synth.Request(synth.ServicesPerFile+3, 4), synth.Wide(3, 2, 3)} {
			req.Parameter = proto.String(param)
			checkRespond(t, req)
		}
	}
}

// TestRespondSideBySide compares Respond with protogen on a request large
// enough to be rendered on two goroutines (renderers), where there are two
// CPUs.
func TestRespondSideBySide(t *testing.T) {
	req := synth.Request(4*synth.ServicesPerFile+3, 2*methodsPerGoroutine/(4*synth.ServicesPerFile))
	params, gen := newPlugin(t, req)
	models, err := params.plan(gen)
	if err != nil {
		t.Fatal(err)
	}
	if n := renderers(models); n < min(2, runtime.GOMAXPROCS(0)) {
		t.Fatalf("%d goroutines would render the request", n)
	}
	checkRespond(t, req)
}

// TestRespondProtogenCases covers what Respond leaves to protogen or answers
// as protogen does: annotate_code (protogen writes .meta files), a module=
// that a file's name does not start with, an unknown parameter's refusal
// (by protogen.Options.New, before Respond).
func TestRespondProtogenCases(t *testing.T) {
	for _, param := range []string{"annotate_code", "annotate_code=true,json_schema=true", "module=example.com/elsewhere",
		"module=example.com/elsewhere,json_schema=true", "annotate_code=false,module=example.com/synth,module=example.com", "annotate_code=true,annotate_code=false"} {
		req := synth.Wide(2, 1, 2)
		req.Parameter = proto.String(param)
		checkRespond(t, req)
	}
}

// TestResponseFraming checks the hand-written encoding Respond streams: a
// header, files given in pieces, and an error appended after them decode
// to one response holding all of them, as protoc and buf read it.
func TestResponseFraming(t *testing.T) {
	var out bytes.Buffer
	header := &pluginpb.CodeGeneratorResponse{SupportedFeatures: proto.Uint64(SupportedFeatures)}
	if err := writeMessage(&out, header); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(&out, "a.go", []byte("package "), []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(&out, "b.json", make([]byte, 300)); err != nil {
		t.Fatal(err)
	}
	if err := writeError(&out, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	var got pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := &pluginpb.CodeGeneratorResponse{
		SupportedFeatures: proto.Uint64(SupportedFeatures),
		Error:             proto.String("boom"),
		File: []*pluginpb.CodeGeneratorResponse_File{
			{Name: proto.String("a.go"), Content: proto.String("package a\n")},
			{Name: proto.String("b.json"), Content: proto.String(string(make([]byte, 300)))},
		},
	}
	if !proto.Equal(&got, want) {
		t.Errorf("decoded %v, want %v", &got, want)
	}
}
