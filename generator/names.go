package generator

import (
	"go/token"
	"strings"
	"unicode"

	"google.golang.org/protobuf/compiler/protogen"
)

// Every Go identifier the generator emits comes from this file. Package-level
// names come from a namespace that holds every name already declared in the
// Go package, by protoc-gen-go and by earlier services, so a clash (a message
// named GreeterClient beside a service Greeter, two services whose names run
// together) never breaks the build: the later name gets underscores appended,
// the way protoc-gen-go resolves its own clashes.

// namespace is the set of package-level identifiers of one Go package.
type namespace struct {
	taken map[string]struct{}
}

func newNamespace() *namespace {
	return &namespace{taken: make(map[string]struct{}, 64)}
}

// reserve marks name as declared by someone else.
func (ns *namespace) reserve(name string) { ns.taken[name] = struct{}{} }

// has reports whether name is declared.
func (ns *namespace) has(name string) bool {
	_, ok := ns.taken[name]
	return ok
}

// claim declares want, or want with as many underscores appended as it takes
// to be unique, and returns the declared name.
func (ns *namespace) claim(want string) string {
	name := want
	for ns.has(name) {
		name += "_"
	}
	ns.reserve(name)
	return name
}

// reserveProtocGenGo reserves every package-level identifier protoc-gen-go
// declares for file: messages, enums and their name/value maps, enum values,
// oneof wrappers, extensions, proto2 defaults and the descriptor variables.
func (ns *namespace) reserveProtocGenGo(file *protogen.File) {
	ns.reserve(file.GoDescriptorIdent.GoName)
	// The unexported descriptor variables: file_<path>_proto_rawDesc, ….
	unexported := "f" + strings.TrimPrefix(file.GoDescriptorIdent.GoName, "F")
	for _, suffix := range protocGenGoFileVars {
		ns.reserve(unexported + suffix)
	}
	for _, e := range file.Enums {
		ns.reserveEnum(e)
	}
	for _, m := range file.Messages {
		ns.reserveMessage(m)
	}
	for _, x := range file.Extensions {
		ns.reserve(x.GoIdent.GoName)
	}
}

// protocGenGoFileVars are the suffixes of protoc-gen-go's per-file variables.
var protocGenGoFileVars = []string{
	"", "_rawDesc", "_rawDescOnce", "_rawDescData", "_rawDescGZIP",
	"_enumTypes", "_msgTypes", "_goTypes", "_depIdxs", "_extTypes", "_init",
}

func (ns *namespace) reserveEnum(e *protogen.Enum) {
	ns.reserve(e.GoIdent.GoName)
	ns.reserve(e.GoIdent.GoName + "_name")
	ns.reserve(e.GoIdent.GoName + "_value")
	for _, v := range e.Values {
		ns.reserve(v.GoIdent.GoName)
	}
}

func (ns *namespace) reserveMessage(m *protogen.Message) {
	ns.reserve(m.GoIdent.GoName)
	for _, f := range m.Fields {
		if f.Oneof != nil {
			ns.reserve(f.GoIdent.GoName) // the oneof wrapper type
		}
		if f.Desc.HasDefault() {
			ns.reserve("Default_" + m.GoIdent.GoName + "_" + f.GoName)
		}
	}
	for _, e := range m.Enums {
		ns.reserveEnum(e)
	}
	for _, nested := range m.Messages {
		ns.reserveMessage(nested)
	}
	for _, x := range m.Extensions {
		ns.reserve(x.GoIdent.GoName)
	}
}

// serviceNames are the Go identifiers emitted for one service.
type serviceNames struct {
	ServiceName   string // GreeterServiceName: the constant holding the service's full name
	Client        string // GreeterClient: the client interface
	NewClient     string // NewGreeterClient
	clientImpl    string // greeterClient: the unexported implementation
	Handler       string // GreeterHandler
	Unimplemented string // UnimplementedGreeterHandler
	Register      string // RegisterGreeterHandler
}

// methodNames are the Go identifiers emitted for one method.
type methodNames struct {
	Constant string // GreeterSayHelloMethod: the wire-name constant
	spec     string // greeterSayHelloSpec: the unexported *lkrpc.Method
	GoMethod string // SayHello: the method of the client and handler interfaces
}

// nameService claims the package-level names of svc and its methods in ns,
// in a fixed order so that the same input always gets the same names.
func nameService(ns *namespace, svc *protogen.Service) (serviceNames, []methodNames) {
	base := svc.GoName
	names := serviceNames{
		ServiceName:   ns.claim(base + "ServiceName"),
		Client:        ns.claim(base + "Client"),
		NewClient:     ns.claim("New" + base + "Client"),
		Handler:       ns.claim(base + "Handler"),
		Unimplemented: ns.claim("Unimplemented" + base + "Handler"),
		Register:      ns.claim("Register" + base + "Handler"),
		clientImpl:    ns.claim(unexport(base) + "Client"),
	}
	// Interface methods only need to be unique within the service; two proto
	// names can map to one Go name (Say_hello and SayHello).
	goMethods := newNamespace()
	methods := make([]methodNames, len(svc.Methods))
	for i, m := range svc.Methods {
		goName := goMethods.claim(m.GoName)
		methods[i] = methodNames{
			Constant: ns.claim(base + goName + "Method"),
			spec:     ns.claim(unexport(base) + goName + "Spec"),
			GoMethod: goName,
		}
	}
	return names, methods
}

// unexport turns an exported Go name into an unexported one the way a person
// would: Greeter → greeter, URLShortener → urlShortener, HTTP → http.
func unexport(name string) string {
	runes := []rune(name)
	upper := 0
	for upper < len(runes) && unicode.IsUpper(runes[upper]) {
		upper++
	}
	switch {
	case upper == 0:
		return name
	case upper == 1 || upper == len(runes):
		// Greeter → greeter; HTTP → http.
	default:
		// URLShortener: keep the S that starts the next word.
		upper--
	}
	for i := 0; i < upper; i++ {
		runes[i] = unicode.ToLower(runes[i])
	}
	return string(runes)
}

// Local names used inside generated functions. An imported package whose
// name equals one of them would be shadowed, so imports avoid them.
var localNames = map[string]bool{
	"c": true, "ctx": true, "req": true, "resp": true, "opts": true, "err": true,
	"t": true, "h": true, "destination": true, "unregister": true,
}

// importAlias picks the name a generated file imports a message package
// under: its Go package name unless that would be shadowed by a local name
// or clash with a package-level identifier or a fixed import.
func importAlias(ns *namespace, packageName string) string {
	alias := packageName
	if !token.IsIdentifier(alias) {
		alias = "pkg"
	}
	for localNames[alias] || ns.has(alias) || fixedImports[alias] {
		alias += "pb"
	}
	return alias
}

// fixedImports are the package names generated code may import itself.
var fixedImports = map[string]bool{
	"context": true, "errors": true, "time": true, RuntimeAlias: true,
}
