package generator

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// notStreamingClient is the error for a client-streaming or bidirectional method.
const notStreamingClient = "client and bidirectional streaming methods are not supported: lkrpc streams replies only (returns (stream …); docs/PROTOCOL.md §8)"

// TestGenerateErrors runs the plugin on protos it must refuse and asserts
// the whole error text: each problem names its method, every problem is
// reported, and no file is generated.
func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // the lines of the error, in order
	}{
		{"streaming_client.proto", []string{
			"protoc-gen-lkrpc: example.v1.Greeter.Upload: " + notStreamingClient,
		}},
		{"streaming_bidi.proto", []string{
			"protoc-gen-lkrpc: example.v1.Greeter.Chat: " + notStreamingClient,
		}},
		{"duplicate_names.proto", []string{
			`protoc-gen-lkrpc: example.v1.Greeter.Second: wire name "same" is already used by First`,
		}},
		{"prefix_duplicate.proto", []string{
			`protoc-gen-lkrpc: example.v1.Greeter.Other: wire name "g.Ping" is already used by Ping`,
		}},
		{"control_char.proto", []string{
			`protoc-gen-lkrpc: example.v1.Greeter.Bell: wire name "ring\a" contains control character U+0007`,
		}},
		{"too_long.proto", []string{
			"protoc-gen-lkrpc: example.v1.Greeter.Long: wire name is 256 bytes long, more than 255",
		}},
		{"size_too_large.proto", []string{
			"protoc-gen-lkrpc: example.v1.Greeter.Big: max_response_bytes 3000000000 exceeds 2147483647",
		}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".proto"), func(t *testing.T) {
			req := compileFiles(t, []string{filepath.Join("testdata", "errors"), optionsImportPath}, []string{tc.file}, "")
			run := runPlugin(t, req, false)
			if got, want := run.err, strings.Join(tc.want, "\n"); got != want {
				t.Errorf("error:\n got: %s\nwant: %s", got, want)
			}
			if len(run.files) != 0 {
				t.Errorf("generated %d files despite the error", len(run.files))
			}
		})
	}
}

// TestGenerateErrorsAcrossFiles asserts that a bad file stops generation of
// the good ones in the same run: the output is all or nothing.
func TestGenerateErrorsAcrossFiles(t *testing.T) {
	req := compileFiles(t, []string{filepath.Join("testdata", "errors"), filepath.Join("testdata", "multifile"), optionsImportPath},
		[]string{"shop/v1/catalog.proto", "streaming_client.proto"}, "")
	run := runPlugin(t, req, false)
	want := "protoc-gen-lkrpc: example.v1.Greeter.Upload: " + notStreamingClient
	if run.err != want {
		t.Errorf("error = %q, want %q", run.err, want)
	}
	if len(run.files) != 0 {
		t.Errorf("generated %v despite the error", run.files)
	}
}

// TestUnknownParameter asserts that a parameter the plugin does not know is
// refused rather than ignored.
func TestUnknownParameter(t *testing.T) {
	req := compileRequest(t, filepath.Join("testdata", "single"), "paths=source_relative,verbose=true")
	var params Params
	_, err := protogen.Options{ParamFunc: params.Set}.New(req)
	if err == nil || !strings.Contains(err.Error(), "verbose") {
		t.Errorf("error = %v, want one naming the unknown parameter", err)
	}
}

// TestUnknownCodec sets a codec number the options file does not define,
// which protoc refuses in text but a descriptor set can carry.
func TestUnknownCodec(t *testing.T) {
	req := compileRequest(t, filepath.Join("testdata", "single"), "")
	for _, f := range req.GetProtoFile() {
		if f.GetName() != "greeter/v1/greeter.proto" {
			continue
		}
		m := f.GetService()[0].GetMethod()[0]
		m.Options = &descriptorpb.MethodOptions{}
		proto.SetExtension(m.Options, lkrpcv1.E_Method, &lkrpcv1.MethodOptions{Codec: lkrpcv1.Codec(7)})
	}
	run := runPlugin(t, req, false)
	if want := "protoc-gen-lkrpc: example.v1.Greeter.SayHello: unknown codec 7"; run.err != want {
		t.Errorf("error = %q, want %q", run.err, want)
	}
}
