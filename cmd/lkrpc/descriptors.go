package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lkrpc/lkrpc/internal/methodspec"
	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// typeResolver finds message and extension types, for protojson (Any
// fields) and for decoding.
type typeResolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

// catalog is what the command knows about services: the methods of the
// .proto files or descriptor sets it was given.
type catalog struct {
	methods []protoreflect.MethodDescriptor
	types   typeResolver
}

// loadCatalog compiles protoFiles (with importPaths) or reads descriptorSet;
// nil when neither is given.
func loadCatalog(ctx context.Context, protoFiles, importPaths []string, descriptorSet string) (*catalog, error) {
	switch {
	case len(protoFiles) > 0 && descriptorSet != "":
		return nil, usagef("give --proto or --descriptor-set, not both")
	case len(protoFiles) > 0:
		return compileProtos(ctx, protoFiles, importPaths)
	case descriptorSet != "":
		return readDescriptorSet(descriptorSet)
	}
	return nil, nil
}

// compileProtos compiles .proto files the way protoc does with -I. Imports
// of lkrpc's options and of the well-known types need no -I: the command
// carries them.
func compileProtos(ctx context.Context, files, importPaths []string) (*catalog, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = relativeToImportPath(f, importPaths)
	}
	if len(importPaths) == 0 {
		importPaths = []string{"."}
	}
	compiler := protocompile.Compiler{
		Resolver: protocompile.CompositeResolver{
			protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: importPaths}),
			protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
				if path == lkrpcv1.File_lkrpc_v1_options_proto.Path() {
					return protocompile.SearchResult{Desc: lkrpcv1.File_lkrpc_v1_options_proto}, nil
				}
				return protocompile.SearchResult{}, os.ErrNotExist
			}),
		},
	}
	compiled, err := compiler.Compile(ctx, names...)
	if err != nil {
		return nil, usagef("--proto: %v", err)
	}
	c := &catalog{types: compiled.AsResolver()}
	for _, f := range compiled {
		c.addServices(f)
	}
	return c, nil
}

// relativeToImportPath turns a file path under one of the import paths
// into the name protoc would give it (protoc accepts both forms).
func relativeToImportPath(file string, importPaths []string) string {
	for _, dir := range importPaths {
		if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}

// readDescriptorSet reads a FileDescriptorSet (buf build -o x.binpb, or
// protoc --include_imports --descriptor_set_out).
func readDescriptorSet(path string) (*catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--descriptor-set: %v", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, usagef("--descriptor-set %s: not a FileDescriptorSet: %v", path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, usagef("--descriptor-set %s: %v (build it with its imports: buf build -o, or protoc --include_imports)", path, err)
	}
	c := &catalog{types: dynamicpb.NewTypes(files)}
	files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		c.addServices(f)
		return true
	})
	return c, nil
}

func (c *catalog) addServices(f protoreflect.FileDescriptor) {
	for i := 0; i < f.Services().Len(); i++ {
		methods := f.Services().Get(i).Methods()
		for j := 0; j < methods.Len(); j++ {
			c.methods = append(c.methods, methods.Get(j))
		}
	}
}

// method finds the method name denotes: its wire name, its full proto name
// (pkg.Service.Method or pkg.Service/Method), Service.Method, or just
// Method when only one service has it.
func (c *catalog) method(name string) (protoreflect.MethodDescriptor, methodspec.Spec, error) {
	var found []protoreflect.MethodDescriptor
	var specs []methodspec.Spec
	for _, m := range c.methods {
		spec, err := methodspec.Resolve(m)
		if err != nil {
			return nil, spec, usagef("%s: %v", m.FullName(), err)
		}
		if spec.WireName == name || slices.Contains(protoNames(m), name) {
			found = append(found, m)
			specs = append(specs, spec)
		}
	}
	switch len(found) {
	case 1:
		return found[0], specs[0], nil
	case 0:
		return nil, methodspec.Spec{}, usagef("no method %q in the given descriptors; they have:\n  %s", name, strings.Join(c.listing(), "\n  "))
	}
	var names []string
	for _, m := range found {
		names = append(names, string(m.FullName()))
	}
	return nil, methodspec.Spec{}, usagef("%q could be %s: name one in full", name, strings.Join(names, " or "))
}

// protoNames are the proto spellings a person may use for m.
func protoNames(m protoreflect.MethodDescriptor) []string {
	svc := m.Parent().(protoreflect.ServiceDescriptor)
	return []string{
		string(m.FullName()),
		string(svc.FullName()) + "/" + string(m.Name()),
		string(svc.Name()) + "." + string(m.Name()),
		string(svc.Name()) + "/" + string(m.Name()),
		string(m.Name()),
	}
}

// listing names every method with its wire name, for error messages.
func (c *catalog) listing() []string {
	var out []string
	for _, m := range c.methods {
		spec, _ := methodspec.Resolve(m)
		out = append(out, fmt.Sprintf("%s (wire name %q)", m.FullName(), spec.WireName))
	}
	return out
}

// newMessage is an empty message of md's type, as the resolver knows it.
func (c *catalog) newMessage(md protoreflect.MessageDescriptor) proto.Message {
	if mt, err := c.types.FindMessageByName(md.FullName()); err == nil {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

// parseRequest checks a request's JSON against the method's input type,
// strictly: an unknown field is a mistake here, though the wire ignores it.
func (c *catalog) parseRequest(m protoreflect.MethodDescriptor, text string) (proto.Message, error) {
	req := c.newMessage(m.Input())
	if strings.TrimSpace(text) == "" {
		return req, nil
	}
	if err := (protojson.UnmarshalOptions{Resolver: c.types}).Unmarshal([]byte(text), req); err != nil {
		return nil, usagef("the request is not a valid %s: %v", m.Input().FullName(), err)
	}
	return req, nil
}
