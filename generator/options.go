package generator

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// MaxWireNameBytes is the longest wire name the generator accepts. LiveKit
// carries the method name in a protobuf string and a data-stream attribute;
// 255 bytes leaves room in both and is far beyond any real method name.
const MaxWireNameBytes = 255

// maxSizeLimit is the largest max_request_bytes/max_response_bytes accepted:
// the runtime's limits are Go ints, which are 32 bits on some platforms.
const maxSizeLimit = math.MaxInt32

// methodSpec is what the generator emits into a method's *lkrpc.Method:
// the wire name and the options resolved from the method and its service.
// Zero fields are left out of the generated literal.
type methodSpec struct {
	wireName         string
	codec            lkrpcv1.Codec
	timeoutMillis    uint32
	maxRequestBytes  uint32
	maxResponseBytes uint32
}

// resolveSpec merges svc's ServiceOptions with m's MethodOptions (the method
// wins field by field) and validates the result.
func resolveSpec(svc *protogen.Service, m *protogen.Method) (methodSpec, error) {
	so := serviceOptions(svc)
	mo := methodOptions(m)
	spec := methodSpec{
		wireName:         defaultWireName(svc, m, so.GetNamePrefix()),
		codec:            firstNonZero(mo.GetCodec(), so.GetCodec()),
		timeoutMillis:    firstNonZero(mo.GetTimeoutMs(), so.GetTimeoutMs()),
		maxRequestBytes:  firstNonZero(mo.GetMaxRequestBytes(), so.GetMaxRequestBytes()),
		maxResponseBytes: firstNonZero(mo.GetMaxResponseBytes(), so.GetMaxResponseBytes()),
	}
	if mo.GetName() != "" {
		spec.wireName = mo.GetName()
	}
	if err := validateWireName(spec.wireName); err != nil {
		return spec, err
	}
	if _, ok := lkrpcv1.Codec_name[int32(spec.codec)]; !ok {
		return spec, fmt.Errorf("unknown codec %d", spec.codec)
	}
	if spec.maxRequestBytes > maxSizeLimit {
		return spec, fmt.Errorf("max_request_bytes %d exceeds %d", spec.maxRequestBytes, maxSizeLimit)
	}
	if spec.maxResponseBytes > maxSizeLimit {
		return spec, fmt.Errorf("max_response_bytes %d exceeds %d", spec.maxResponseBytes, maxSizeLimit)
	}
	return spec, nil
}

// defaultWireName is <prefix><Method> when the service sets a prefix, else
// <proto package>.<Service>/<Method> (Service/Method without a package).
func defaultWireName(svc *protogen.Service, m *protogen.Method, prefix string) string {
	if prefix != "" {
		return prefix + string(m.Desc.Name())
	}
	return string(svc.Desc.FullName()) + "/" + string(m.Desc.Name())
}

// validateWireName enforces what the runtime and the other SDKs can carry:
// non-empty UTF-8 of at most MaxWireNameBytes bytes, no control characters.
func validateWireName(name string) error {
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

func serviceOptions(svc *protogen.Service) *lkrpcv1.ServiceOptions {
	opts := svc.Desc.Options()
	if opts == nil {
		return nil
	}
	so, _ := proto.GetExtension(opts, lkrpcv1.E_Service).(*lkrpcv1.ServiceOptions)
	return so
}

func methodOptions(m *protogen.Method) *lkrpcv1.MethodOptions {
	opts := m.Desc.Options()
	if opts == nil {
		return nil
	}
	mo, _ := proto.GetExtension(opts, lkrpcv1.E_Method).(*lkrpcv1.MethodOptions)
	return mo
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
