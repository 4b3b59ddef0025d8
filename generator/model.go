package generator

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/compiler/protogen"
)

// fileModel is everything the emitter needs for one generated file, resolved
// and validated up front.
type fileModel struct {
	file     *protogen.File
	ns       *namespace
	services []serviceModel
}

type serviceModel struct {
	svc     *protogen.Service
	names   serviceNames
	methods []methodModel
}

type methodModel struct {
	method *protogen.Method
	names  methodNames
	spec   methodSpec
}

// streaming reports whether the method streams its replies (returns
// (stream …)); client and bidirectional streaming never get this far.
func (m methodModel) streaming() bool { return m.method.Desc.IsStreamingServer() }

// planner builds file models, holding one namespace per Go package so that
// files of one package that are generated together never declare a name twice.
type planner struct {
	gen        *protogen.Plugin
	byPackage  map[protogen.GoImportPath][]*protogen.File
	namespaces map[protogen.GoImportPath]*namespace
}

func newPlanner(gen *protogen.Plugin) *planner {
	byPackage := make(map[protogen.GoImportPath][]*protogen.File)
	for _, f := range gen.Files {
		byPackage[f.GoImportPath] = append(byPackage[f.GoImportPath], f)
	}
	return &planner{gen: gen, byPackage: byPackage, namespaces: make(map[protogen.GoImportPath]*namespace)}
}

// namespace returns the namespace of a Go package, created on first use with
// every identifier protoc-gen-go declares in it.
func (p *planner) namespace(pkg protogen.GoImportPath) *namespace {
	if ns, ok := p.namespaces[pkg]; ok {
		return ns
	}
	ns := newNamespace()
	for _, f := range p.byPackage[pkg] {
		ns.reserveProtocGenGo(f)
	}
	p.namespaces[pkg] = ns
	return ns
}

// planFile models every service of file, or returns every problem found.
func (p *planner) planFile(file *protogen.File) (*fileModel, error) {
	model := &fileModel{file: file, ns: p.namespace(file.GoImportPath)}
	var errs []error
	for _, svc := range file.Services {
		sm, err := planService(model.ns, svc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		model.services = append(model.services, sm)
	}
	return model, errors.Join(errs...)
}

// planService names svc and resolves every method's spec. Client-streaming
// and bidirectional methods, invalid options and two methods sharing one wire name are errors naming
// the method.
func planService(ns *namespace, svc *protogen.Service) (serviceModel, error) {
	var errs []error
	methodErr := func(m *protogen.Method, format string, args ...any) {
		errs = append(errs, fmt.Errorf("protoc-gen-lkrpc: %s: %s", m.Desc.FullName(), fmt.Sprintf(format, args...)))
	}
	specs := make([]methodSpec, len(svc.Methods))
	wireNames := make(map[string]*protogen.Method, len(svc.Methods))
	for i, m := range svc.Methods {
		if m.Desc.IsStreamingClient() {
			methodErr(m, "client and bidirectional streaming methods are not supported: lkrpc streams replies only (returns (stream …); docs/PROTOCOL.md §8)")
			continue
		}
		spec, err := resolveSpec(svc, m)
		if err != nil {
			methodErr(m, "%v", err)
			continue
		}
		if other, dup := wireNames[spec.wireName]; dup {
			methodErr(m, "wire name %q is already used by %s", spec.wireName, other.Desc.Name())
			continue
		}
		wireNames[spec.wireName] = m
		specs[i] = spec
	}
	if len(errs) > 0 {
		return serviceModel{}, errors.Join(errs...)
	}
	names, methodNames := nameService(ns, svc)
	sm := serviceModel{svc: svc, names: names, methods: make([]methodModel, len(svc.Methods))}
	for i, m := range svc.Methods {
		sm.methods[i] = methodModel{method: m, names: methodNames[i], spec: specs[i]}
	}
	return sm, nil
}
