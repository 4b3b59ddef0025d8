// Package synth builds synthetic CodeGeneratorRequests of any size, in
// memory, for benchmarking protoc-gen-lkrpc and, through the serialized
// request, other plugins on the same input.
package synth

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
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
