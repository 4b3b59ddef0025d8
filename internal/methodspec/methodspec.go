// Package methodspec resolves a method's lkrpc options (proto/lkrpc/v1)
// into what travels on the wire: its wire name, codec, timeout and size
// limits. It is the one place for these rules, shared by protoc-gen-lkrpc
// (which writes them into generated code) and the lkrpc command (which
// reads them from descriptors at run time).
package methodspec

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// MaxWireNameBytes is the longest wire name accepted. LiveKit carries the
// method name in a protobuf string and a data-stream attribute; 255 bytes
// leaves room in both and is far beyond any real method name.
const MaxWireNameBytes = 255

// MaxSizeLimit is the largest max_request_bytes/max_response_bytes accepted:
// the runtime's limits are Go ints, which are 32 bits on some platforms.
const MaxSizeLimit = math.MaxInt32

// Spec is a method's resolved options. Zero fields are not set.
type Spec struct {
	WireName         string
	Codec            lkrpcv1.Codec
	TimeoutMillis    uint32
	MaxRequestBytes  uint32
	MaxResponseBytes uint32
}

// Resolve merges the options of m's service with m's own (the method wins
// field by field) and validates the result.
func Resolve(m protoreflect.MethodDescriptor) (Spec, error) {
	svc, _ := m.Parent().(protoreflect.ServiceDescriptor)
	if svc == nil {
		return Spec{}, fmt.Errorf("method %s has no service", m.FullName())
	}
	so := serviceOptions(svc)
	mo := methodOptions(m)
	spec := Spec{
		WireName:         defaultWireName(svc, m, so.GetNamePrefix()),
		Codec:            firstNonZero(mo.GetCodec(), so.GetCodec()),
		TimeoutMillis:    firstNonZero(mo.GetTimeoutMs(), so.GetTimeoutMs()),
		MaxRequestBytes:  firstNonZero(mo.GetMaxRequestBytes(), so.GetMaxRequestBytes()),
		MaxResponseBytes: firstNonZero(mo.GetMaxResponseBytes(), so.GetMaxResponseBytes()),
	}
	if mo.GetName() != "" {
		spec.WireName = mo.GetName()
	}
	if err := ValidateWireName(spec.WireName); err != nil {
		return spec, err
	}
	if _, ok := lkrpcv1.Codec_name[int32(spec.Codec)]; !ok {
		return spec, fmt.Errorf("unknown codec %d", spec.Codec)
	}
	if spec.MaxRequestBytes > MaxSizeLimit {
		return spec, fmt.Errorf("max_request_bytes %d exceeds %d", spec.MaxRequestBytes, MaxSizeLimit)
	}
	if spec.MaxResponseBytes > MaxSizeLimit {
		return spec, fmt.Errorf("max_response_bytes %d exceeds %d", spec.MaxResponseBytes, MaxSizeLimit)
	}
	return spec, nil
}

// defaultWireName is <prefix><Method> when the service sets a prefix, else
// <proto package>.<Service>/<Method> (Service/Method without a package).
func defaultWireName(svc protoreflect.ServiceDescriptor, m protoreflect.MethodDescriptor, prefix string) string {
	if prefix != "" {
		return prefix + string(m.Name())
	}
	return string(svc.FullName()) + "/" + string(m.Name())
}

// ValidateWireName enforces what the runtime and the other SDKs can carry:
// non-empty UTF-8 of at most MaxWireNameBytes bytes, no control characters.
func ValidateWireName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty wire name")
	case len(name) > MaxWireNameBytes:
		return fmt.Errorf("wire name is %d bytes long, more than %d", len(name), MaxWireNameBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("wire name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("wire name %q contains control character %U", name, r)
		}
	}
	return nil
}

func serviceOptions(svc protoreflect.ServiceDescriptor) *lkrpcv1.ServiceOptions {
	so, _ := extension(svc.Options(), lkrpcv1.E_Service).(*lkrpcv1.ServiceOptions)
	return so
}

func methodOptions(m protoreflect.MethodDescriptor) *lkrpcv1.MethodOptions {
	mo, _ := extension(m.Options(), lkrpcv1.E_Method).(*lkrpcv1.MethodOptions)
	return mo
}

// extension reads xt from opts. Descriptors built at run time hold lkrpc's
// options in other forms (as unknown fields when read from a descriptor
// set, as dynamic messages when compiled by protocompile), so the options
// are always parsed again with lkrpc's own types.
func extension(opts proto.Message, xt protoreflect.ExtensionType) any {
	if opts == nil || !opts.ProtoReflect().IsValid() {
		return nil
	}
	b, err := proto.Marshal(opts)
	if err != nil {
		return nil
	}
	again := opts.ProtoReflect().Type().New().Interface()
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(b, again); err != nil {
		return nil
	}
	return proto.GetExtension(again, xt)
}

func firstNonZero[T comparable](values ...T) T {
	var zero T
	for _, v := range values {
		if v != zero {
			return v
		}
	}
	return zero
}
