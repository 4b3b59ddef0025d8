package generator

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// generateHandlerInterface emits the interface a server implements.
func generateHandlerInterface(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(
		fmt.Sprintf("%s serves the %s service. Register an implementation with %s; "+
			"embed %s in it to keep compiling when methods are added.",
			s.names.Handler, s.svc.Desc.FullName(), s.names.Register, s.names.Unimplemented),
		protoDoc(s.svc.Comments),
		deprecated(serviceDeprecated(s.svc)),
	))
	f.Type().Id(s.names.Handler).InterfaceFunc(func(g *jen.Group) {
		for _, m := range s.methods {
			g.Comment(docComment(
				methodDoc(m, "serves"),
				deprecated(methodDeprecated(m.method)),
			))
			g.Id(m.names.GoMethod).Add(handlerSignature(m))
		}
	})
}

// handlerSignature is (context.Context, *Request) (*Reply, error), or for
// a server-streaming method (context.Context, *Request,
// *lkrpc.ServerStream[Reply]) error.
func handlerSignature(m methodModel) *jen.Statement {
	if m.streaming() {
		return jen.Params(
			jen.Qual(contextPackage, "Context"),
			jen.Op("*").Add(qual(m.method.Input.GoIdent)),
			jen.Op("*").Qual(RuntimePackage, "ServerStream").Types(qual(m.method.Output.GoIdent)),
		).Error()
	}
	return jen.Params(
		jen.Qual(contextPackage, "Context"),
		jen.Op("*").Add(qual(m.method.Input.GoIdent)),
	).Params(jen.Op("*").Add(qual(m.method.Output.GoIdent)), jen.Error())
}

// generateUnimplementedHandler emits the handler whose every method fails
// with lkrpc.Unimplemented, and asserts that it implements the interface.
func generateUnimplementedHandler(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(fmt.Sprintf("%s answers every method of %s with an "+
		"lkrpc.Unimplemented error (code 1400, as for a method nobody registered).",
		s.names.Unimplemented, s.names.Handler)))
	f.Type().Id(s.names.Unimplemented).Struct()
	f.Line()
	f.Var().Id("_").Id(s.names.Handler).Op("=").Id(s.names.Unimplemented).Values()
	for _, m := range s.methods {
		f.Line()
		f.Comment(docComment(fmt.Sprintf("%s answers with lkrpc.Unimplemented.", m.names.GoMethod)))
		unimplemented := jen.Qual(RuntimePackage, "Unimplemented").Call(jen.Id(m.names.Constant))
		if !m.streaming() {
			unimplemented = jen.Nil().Op(",").Add(unimplemented)
		}
		f.Func().Params(jen.Id(s.names.Unimplemented)).Id(m.names.GoMethod).Add(handlerSignature(m)).Block(
			jen.Return(unimplemented),
		)
	}
}

// generateRegisterHandler emits RegisterXHandler: every method or none.
func generateRegisterHandler(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(
		fmt.Sprintf("%s serves every method of h on t, or none: when one cannot be registered, "+
			"those already registered are removed and the error is returned. Call unregister to stop serving.",
			s.names.Register),
		deprecated(serviceDeprecated(s.svc)),
	))
	descs := jen.Nil()
	if len(s.methods) > 0 {
		descs = jen.Index().Qual(RuntimePackage, "HandlerDesc").CustomFunc(multiLine, func(g *jen.Group) {
			for _, m := range s.methods {
				g.Add(handlerDesc(m))
			}
		})
	}
	f.Func().Id(s.names.Register).Params(
		jen.Id("t").Qual(RuntimePackage, "Transport"),
		jen.Id("h").Id(s.names.Handler),
		jen.Id("opts").Op("...").Qual(RuntimePackage, "HandlerOption"),
	).Params(jen.Id("unregister").Func().Params(), jen.Err().Error()).Block(
		jen.If(jen.Id("h").Op("==").Nil()).Block(
			jen.Return(jen.Nil(), jen.Qual(errorsPackage, "New").Call(
				jen.Lit(s.names.Register+": nil "+s.names.Handler))),
		),
		jen.Return(jen.Qual(RuntimePackage, "Register").Call(jen.Id("t"), descs, jen.Id("opts").Op("..."))),
	)
}

// multiLine renders a composite literal one element per line.
var multiLine = jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}

// handlerDesc is one lkrpc.Handle(spec, h.Method) entry, or
// lkrpc.HandleServerStream for a server-streaming method.
func handlerDesc(m methodModel) *jen.Statement {
	handle := "Handle"
	if m.streaming() {
		handle = "HandleServerStream"
	}
	return jen.Qual(RuntimePackage, handle).Call(jen.Id(m.names.spec), jen.Id("h").Dot(m.names.GoMethod))
}
