package generator

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// TestTrimRequestKeepsReservedNames: the fields TrimRequest keeps are the
// ones whose protoc-gen-go names the generator steers clear of. Service
// Foo_ would declare Foo_ServiceName, the oneof wrapper of Foo.service_name,
// and Default_Bar_ServiceName, the default of Bar.service_name; Respond
// (after TrimRequest) must name them as protogen does without the trim.
func TestTrimRequestKeepsReservedNames(t *testing.T) {
	field := func(name string, number int32) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), Number: proto.Int32(number),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(),
		}
	}
	oneof, withDefault := field("service_name", 1), field("service_name", 1)
	oneof.OneofIndex = proto.Int32(0)
	withDefault.DefaultValue = proto.String("7")
	service := func(name string) *descriptorpb.ServiceDescriptorProto {
		return &descriptorpb.ServiceDescriptorProto{Name: proto.String(name), Method: []*descriptorpb.MethodDescriptorProto{{
			Name: proto.String("Call"), InputType: proto.String(".trim.Plain"), OutputType: proto.String(".trim.Plain"),
		}}}
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"trim.proto"},
		ProtoFile: []*descriptorpb.FileDescriptorProto{{
			Name:    proto.String("trim.proto"),
			Package: proto.String("trim"),
			Syntax:  proto.String("proto2"),
			Options: &descriptorpb.FileOptions{GoPackage: proto.String("example.com/trim;trim")},
			MessageType: []*descriptorpb.DescriptorProto{
				{Name: proto.String("Foo"), Field: []*descriptorpb.FieldDescriptorProto{oneof, field("plain", 2)},
					OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("choice")}}},
				{Name: proto.String("Bar"), Field: []*descriptorpb.FieldDescriptorProto{withDefault}},
				{Name: proto.String("Plain"), Field: []*descriptorpb.FieldDescriptorProto{field("a", 1), field("b", 2)}},
			},
			Service: []*descriptorpb.ServiceDescriptorProto{service("Foo_"), service("Default_Bar_")},
		}},
	}
	checkRespond(t, req)
	got := string(respondResponse(t, req))
	for _, want := range []string{"Foo_ServiceName_ =", "Default_Bar_ServiceName_ ="} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the output: the name it avoids was not reserved", want)
		}
	}
	trimmed := proto.Clone(req).(*pluginpb.CodeGeneratorRequest)
	TrimRequest(trimmed)
	for i, want := range []int{2, 1, 0} {
		if n := len(trimmed.ProtoFile[0].MessageType[i].Field); n != want {
			t.Errorf("%s keeps %d fields, want %d", trimmed.ProtoFile[0].MessageType[i].GetName(), n, want)
		}
	}
}

// TestTrimRequestGoldenCases runs every golden case without json_schema,
// so that the field trim meets the schema cases' maps, oneofs, proto3
// optional fields and well-known types, and compares Respond (after
// TrimRequest) with protogen on the whole request.
func TestTrimRequestGoldenCases(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			checkRespond(t, compileRequest(t, filepath.Join("testdata", tc.name), ""))
		})
	}
}
