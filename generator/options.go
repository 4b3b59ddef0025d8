package generator

import (
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/lkrpc/lkrpc/internal/methodspec"
	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// MaxWireNameBytes is the longest wire name the generator accepts.
const MaxWireNameBytes = methodspec.MaxWireNameBytes

// methodSpec is what the generator emits into a method's *lkrpc.Method:
// the wire name and the options resolved from the method and its service
// (by package methodspec, which the lkrpc command shares). Zero fields are
// left out of the generated literal.
type methodSpec struct {
	wireName         string
	codec            lkrpcv1.Codec
	timeoutMillis    uint32
	maxRequestBytes  uint32
	maxResponseBytes uint32
}

// resolveSpec resolves m's options; see methodspec.Resolve.
func resolveSpec(_ *protogen.Service, m *protogen.Method) (methodSpec, error) {
	s, err := methodspec.Resolve(m.Desc)
	return methodSpec{
		wireName:         s.WireName,
		codec:            s.Codec,
		timeoutMillis:    s.TimeoutMillis,
		maxRequestBytes:  s.MaxRequestBytes,
		maxResponseBytes: s.MaxResponseBytes,
	}, err
}
