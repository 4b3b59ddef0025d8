package generator

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	lkrpcv1 "github.com/lkrpc/lkrpc/proto/lkrpc/v1"
)

// generateService emits everything for one service, in reading order.
func generateService(f *jen.Group, s *serviceModel) {
	generateMethodConstants(f, s)
	generateMethodSpecs(f, s)
	generateClientInterface(f, s)
	generateClientConstructor(f, s)
	generateClientImpl(f, s)
	generateHandlerInterface(f, s)
	generateUnimplementedHandler(f, s)
	generateRegisterHandler(f, s)
}

// generateMethodConstants emits the exported wire name of each method.
func generateMethodConstants(f *jen.Group, s *serviceModel) {
	if len(s.methods) == 0 {
		return
	}
	f.Comment(docComment(fmt.Sprintf("The full name of %s, and the wire names of its methods: what goes on the wire and what other SDKs register or call.", s.svc.Desc.FullName())))
	f.Const().DefsFunc(func(g *jen.Group) {
		g.Comment(docComment(fmt.Sprintf("%s is the full name of the %s service, which a registration advertises in the discovery attribute.", s.names.ServiceName, s.svc.Desc.FullName())))
		g.Id(s.names.ServiceName).Op("=").Lit(string(s.svc.Desc.FullName()))
		for _, m := range s.methods {
			g.Comment(docComment(
				fmt.Sprintf("%s is the wire name of %s.", m.names.Constant, m.method.Desc.FullName()),
				deprecated(methodDeprecated(m.method)),
			))
			g.Id(m.names.Constant).Op("=").Lit(m.spec.wireName)
		}
	})
}

// generateMethodSpecs emits the unexported *lkrpc.Method of each method,
// with only the fields the options set.
func generateMethodSpecs(f *jen.Group, s *serviceModel) {
	if len(s.methods) == 0 {
		return
	}
	f.Var().DefsFunc(func(g *jen.Group) {
		for _, m := range s.methods {
			g.Id(m.names.spec).Op("=").Op("&").Qual(RuntimePackage, "Method").Add(methodSpecLiteral(s.names.ServiceName, m))
		}
	})
}

// methodSpecLiteral is the composite literal of m's *lkrpc.Method, one field
// per line, with only the fields the options set besides the names.
func methodSpecLiteral(serviceName string, m methodModel) *jen.Statement {
	fields := []jen.Code{
		jen.Id("Service").Op(":").Id(serviceName),
		jen.Id("Name").Op(":").Id(m.names.Constant),
	}
	spec := m.spec
	if spec.codec != lkrpcv1.Codec_CODEC_UNSPECIFIED {
		fields = append(fields, jen.Id("Codec").Op(":").Qual(RuntimePackage, codecConstant(spec.codec)))
	}
	if spec.timeoutMillis != 0 {
		fields = append(fields, jen.Id("Timeout").Op(":").Add(durationExpr(spec.timeoutMillis)))
	}
	if spec.maxRequestBytes != 0 {
		fields = append(fields, jen.Id("MaxRequestBytes").Op(":").Add(sizeExpr(spec.maxRequestBytes)))
	}
	if spec.maxResponseBytes != 0 {
		fields = append(fields, jen.Id("MaxResponseBytes").Op(":").Add(sizeExpr(spec.maxResponseBytes)))
	}
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, fields...)
}

// codecConstant names the runtime constant of a codec option value.
func codecConstant(c lkrpcv1.Codec) string {
	if c == lkrpcv1.Codec_CODEC_BINARY {
		return "CodecBinary"
	}
	return "CodecJSON"
}

// durationExpr writes a millisecond count the way a person would: 5 *
// time.Second, or 1500 * time.Millisecond when it is not whole seconds.
func durationExpr(millis uint32) *jen.Statement {
	if millis%1000 == 0 {
		return jen.Lit(int(millis/1000)).Op("*").Qual(timePackage, "Second")
	}
	return jen.Lit(int(millis)).Op("*").Qual(timePackage, "Millisecond")
}

// sizeExpr writes a byte count the way a person would: 8 << 20 for 8 MiB,
// 64 << 10 for 64 KiB, else the plain number.
func sizeExpr(n uint32) *jen.Statement {
	switch {
	case n%(1<<20) == 0:
		return jen.Lit(int(n >> 20)).Op("<<").Lit(20)
	case n%(1<<10) == 0:
		return jen.Lit(int(n >> 10)).Op("<<").Lit(10)
	default:
		return jen.Lit(int(n))
	}
}
