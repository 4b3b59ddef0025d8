package generator

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// FuzzGenerate feeds arbitrary wire names, name prefixes and comments to the
// generator, with the tool descriptions on. Whatever they hold, the plugin
// either refuses them with an error or emits Go that parses and JSON that
// decodes: no input produces broken output or a panic.
func FuzzGenerate(f *testing.F) {
	f.Add("ping", "", " A comment.\n")
	f.Add("", "lk.agent.", " Two\n paragraphs\n\n here.\n")
	f.Add("quote\"back\\slash`tick", "", "*/ not the end /* of anything\n")
	f.Add("line\u2028separator", "prefix\u2029", " \u2028 in a comment \u2029\n")
	f.Add("nul\x00", "", " comment\n")
	f.Add("ok", "", " nul \x00 in a comment\n")
	f.Add("bad\xff", "", " comment\n")
	f.Add("ok", "", " bad \xff utf-8 \xfe\n")
	f.Add("bom\ufeff", "", " byte order mark \ufeff here\n")
	f.Add("ok", "", "\r\n carriage\r returns\r\n")
	f.Add("ok", "", "   indented code block that is much longer than the wrap width of the generator at all\n")
	f.Add("ok", "", "//go:generate rm -rf /\n")
	f.Fuzz(func(t *testing.T, name, prefix, comment string) {
		req := fuzzRequest(name, prefix, comment)
		req.Parameter = proto.String(ParamJSONSchema + "=true")
		checkRespond(t, req) // the binary's path writes what protogen does
		gen, err := protogen.Options{}.New(req)
		if err != nil {
			t.Fatalf("protogen refuses the request: %v", err)
		}
		if err := (&Params{JSONSchema: true}).Generate(gen); err != nil {
			return // refused with an error: fine
		}
		resp := gen.Response()
		if resp.GetError() != "" {
			t.Fatalf("generated Go that protogen cannot format: %s", resp.GetError())
		}
		for _, file := range resp.GetFile() {
			if strings.HasSuffix(file.GetName(), ToolsSuffix) {
				var doc toolsFile
				if err := json.Unmarshal([]byte(file.GetContent()), &doc); err != nil || len(doc.Tools) != 1 {
					t.Fatalf("%s does not decode to one tool: %v\n%s", file.GetName(), err, file.GetContent())
				}
				continue
			}
			if _, err := parser.ParseFile(token.NewFileSet(), file.GetName(), file.GetContent(), parser.ParseComments); err != nil {
				t.Fatalf("%s does not parse: %v\n%s", file.GetName(), err, file.GetContent())
			}
		}
	})
}

// fuzzRequest declares fuzz.v1.Svc with one method whose lkrpc options and
// comments come from the fuzzer.
func fuzzRequest(name, prefix, comment string) *pluginpb.CodeGeneratorRequest {
	methodOpts := &descriptorpb.MethodOptions{}
	proto.SetExtension(methodOpts, lkrpcv1.E_Method, &lkrpcv1.MethodOptions{Name: name})
	serviceOpts := &descriptorpb.ServiceOptions{}
	proto.SetExtension(serviceOpts, lkrpcv1.E_Service, &lkrpcv1.ServiceOptions{NamePrefix: prefix})
	location := func(path ...int32) *descriptorpb.SourceCodeInfo_Location {
		return &descriptorpb.SourceCodeInfo_Location{
			Path: path, Span: []int32{0, 0, 1}, LeadingComments: proto.String(comment), TrailingComments: proto.String(comment),
		}
	}
	return &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"fuzz.proto"},
		ProtoFile: []*descriptorpb.FileDescriptorProto{{
			Name:        proto.String("fuzz.proto"),
			Package:     proto.String("fuzz.v1"),
			Syntax:      proto.String("proto3"),
			Options:     &descriptorpb.FileOptions{GoPackage: proto.String("example.com/fuzz;fuzzv1")},
			MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Req")}},
			Service: []*descriptorpb.ServiceDescriptorProto{{
				Name:    proto.String("Svc"),
				Options: serviceOpts,
				Method: []*descriptorpb.MethodDescriptorProto{{
					Name:       proto.String("Call"),
					InputType:  proto.String(".fuzz.v1.Req"),
					OutputType: proto.String(".fuzz.v1.Req"),
					Options:    methodOpts,
				}},
			}},
			SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
				location(6, 0), location(6, 0, 2, 0), location(4, 0),
			}},
		}},
	}
}
