// Package synth builds synthetic CodeGeneratorRequests of any size, in
// memory, for benchmarking protoc-gen-lkrpc and, through the serialized
// request, other plugins on the same input.
package synth

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/pluginpb"
)

// ServicesPerFile is how many services share one generated proto file; a
// request of 500 services has 10 service files and one file of messages.
const ServicesPerFile = 50

// GoPackage is the Go import path of every synthetic file.
const GoPackage = "example.com/synth/v1;synthv1"

// Request returns a request to generate services×methods unary methods: the
// services spread over files of ServicesPerFile each, every service and
// method with a leading comment, and method j of every service taking
// Method<j>Request and returning Method<j>Response from a shared messages
// file. It panics when services or methods is negative.
func Request(services, methods int) *pluginpb.CodeGeneratorRequest {
	if services < 0 || methods < 0 {
		panic(fmt.Sprintf("synth: negative size %d×%d", services, methods))
	}
	messages := messagesFile(methods)
	req := &pluginpb.CodeGeneratorRequest{
		Parameter:      proto.String("paths=source_relative"),
		ProtoFile:      []*descriptorpb.FileDescriptorProto{messages},
		FileToGenerate: []string{messages.GetName()},
	}
	for first := 0; first < services; first += ServicesPerFile {
		n := min(ServicesPerFile, services-first)
		file := servicesFile(first/ServicesPerFile, first, n, methods, messages.GetName())
		req.ProtoFile = append(req.ProtoFile, file)
		req.FileToGenerate = append(req.FileToGenerate, file.GetName())
	}
	return req
}

// messagesFile declares Method<j>Request and Method<j>Response for each j.
func messagesFile(methods int) *descriptorpb.FileDescriptorProto {
	file := newFile("synth/v1/messages.proto")
	for j := range methods {
		file.MessageType = append(file.MessageType,
			message(fmt.Sprintf("Method%dRequest", j)),
			message(fmt.Sprintf("Method%dResponse", j)))
	}
	return file
}

// servicesFile declares services first..first+n-1, with comments.
func servicesFile(index, first, n, methods int, messages string) *descriptorpb.FileDescriptorProto {
	file := newFile(fmt.Sprintf("synth/v1/services%d.proto", index))
	file.Dependency = []string{messages}
	info := &descriptorpb.SourceCodeInfo{}
	line := int32(0)
	comment := func(text string, path ...int32) {
		info.Location = append(info.Location, &descriptorpb.SourceCodeInfo_Location{
			Path:            path,
			Span:            []int32{line, 0, 40},
			LeadingComments: proto.String(text),
		})
		line++
	}
	for i := range n {
		svc := &descriptorpb.ServiceDescriptorProto{Name: proto.String(fmt.Sprintf("Service%d", first+i))}
		comment(fmt.Sprintf(" Service%d is synthetic service number %d, here to load the generator.\n", first+i, first+i),
			6, int32(i))
		for j := range methods {
			svc.Method = append(svc.Method, &descriptorpb.MethodDescriptorProto{
				Name:       proto.String(fmt.Sprintf("Method%d", j)),
				InputType:  proto.String(fmt.Sprintf(".synth.v1.Method%dRequest", j)),
				OutputType: proto.String(fmt.Sprintf(".synth.v1.Method%dResponse", j)),
			})
			comment(fmt.Sprintf(" Method%d does synthetic work number %d; its comment is long enough to need wrapping at eighty columns.\n", j, j),
				6, int32(i), 2, int32(j))
		}
		file.Service = append(file.Service, svc)
	}
	file.SourceCodeInfo = info
	return file
}

func newFile(name string) *descriptorpb.FileDescriptorProto {
	return &descriptorpb.FileDescriptorProto{
		Name:    proto.String(name),
		Package: proto.String("synth.v1"),
		Syntax:  proto.String("proto3"),
		Options: &descriptorpb.FileOptions{GoPackage: proto.String(GoPackage)},
	}
}

func message(name string) *descriptorpb.DescriptorProto {
	return &descriptorpb.DescriptorProto{
		Name: proto.String(name),
		Field: []*descriptorpb.FieldDescriptorProto{{
			Name:     proto.String("text"),
			Number:   proto.Int32(1),
			Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			Type:     descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			JsonName: proto.String("text"),
		}},
	}
}

// Well-known types the wide request imports, with their descriptors.
var wellKnown = []protoreflect.FileDescriptor{
	timestamppb.File_google_protobuf_timestamp_proto,
	durationpb.File_google_protobuf_duration_proto,
	emptypb.File_google_protobuf_empty_proto,
	structpb.File_google_protobuf_struct_proto,
}

// Wide returns a request of many small files, the shape of a real API
// rather than Request's few large ones: files proto files to generate,
// each declaring its own messages and services×methods unary methods, with
// a leading comment on every service, method, message and field, and
// imports of the well-known types (google.protobuf.Timestamp, Duration,
// Empty, Struct) used as fields, requests and replies. It panics when a
// size is negative.
func Wide(files, services, methods int) *pluginpb.CodeGeneratorRequest {
	if files < 0 || services < 0 || methods < 0 {
		panic(fmt.Sprintf("synth: negative size %d×%d×%d", files, services, methods))
	}
	req := &pluginpb.CodeGeneratorRequest{Parameter: proto.String("paths=source_relative")}
	for _, wk := range wellKnown {
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(wk))
	}
	for f := range files {
		file := wideFile(f, services, methods)
		req.ProtoFile = append(req.ProtoFile, file)
		req.FileToGenerate = append(req.FileToGenerate, file.GetName())
	}
	return req
}

// wideFile is file f of Wide.
func wideFile(f, services, methods int) *descriptorpb.FileDescriptorProto {
	file := newFile(fmt.Sprintf("synth/v1/wide%d.proto", f))
	for _, wk := range wellKnown {
		file.Dependency = append(file.Dependency, wk.Path())
	}
	info := &descriptorpb.SourceCodeInfo{}
	line := int32(0)
	comment := func(text string, path ...int32) {
		info.Location = append(info.Location, &descriptorpb.SourceCodeInfo_Location{
			Path:            path,
			Span:            []int32{line, 0, 40},
			LeadingComments: proto.String(text),
		})
		line++
	}
	field := func(name string, number int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		fd := &descriptorpb.FieldDescriptorProto{
			Name:     proto.String(name),
			Number:   proto.Int32(number),
			Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			Type:     typ.Enum(),
			JsonName: proto.String(name),
		}
		if typeName != "" {
			fd.TypeName = proto.String(typeName)
		}
		return fd
	}
	msgType := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	for s := range services {
		svc := &descriptorpb.ServiceDescriptorProto{Name: proto.String(fmt.Sprintf("Wide%dService%d", f, s))}
		comment(fmt.Sprintf(" Wide%dService%d is synthetic service %d of file %d, with a comment on every element.\n", f, s, s, f),
			6, int32(s))
		for j := range methods {
			name := fmt.Sprintf("S%dMethod%d", s, j)
			in, out := ".synth.v1."+fmt.Sprintf("Wide%d%sRequest", f, name), ".synth.v1."+fmt.Sprintf("Wide%d%sResponse", f, name)
			switch j % 3 { // some methods take or answer well-known types
			case 1:
				in = ".google.protobuf.Empty"
			case 2:
				out = ".google.protobuf.Struct"
			}
			svc.Method = append(svc.Method, &descriptorpb.MethodDescriptorProto{
				Name: proto.String(name), InputType: proto.String(in), OutputType: proto.String(out),
			})
			comment(fmt.Sprintf(" %s does synthetic work %d of service %d; its comment is long enough to need wrapping at eighty columns.\n", name, j, s),
				6, int32(s), 2, int32(j))
			for _, kind := range []string{"Request", "Response"} {
				m := int32(len(file.MessageType))
				file.MessageType = append(file.MessageType, &descriptorpb.DescriptorProto{
					Name: proto.String(fmt.Sprintf("Wide%d%s%s", f, name, kind)),
					Field: []*descriptorpb.FieldDescriptorProto{
						field("text", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""),
						field("at", 2, msgType, ".google.protobuf.Timestamp"),
						field("within", 3, msgType, ".google.protobuf.Duration"),
						field("extra", 4, msgType, ".google.protobuf.Struct"),
					},
				})
				comment(fmt.Sprintf(" The %s of %s.\n", kind, name), 4, m)
				for i, what := range []string{"The text it carries.", "When it happened.", "How long it may take.", "Anything else, as JSON."} {
					comment(" "+what+"\n", 4, m, 2, int32(i))
				}
			}
		}
		file.Service = append(file.Service, svc)
	}
	file.SourceCodeInfo = info
	return file
}
