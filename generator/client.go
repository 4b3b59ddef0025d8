package generator

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// generateClientInterface emits the exported client interface.
func generateClientInterface(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(
		fmt.Sprintf("%s calls the %s service of a remote participant.", s.names.Client, s.svc.Desc.FullName()),
		protoDoc(s.svc.Comments),
		deprecated(serviceDeprecated(s.svc)),
	))
	f.Type().Id(s.names.Client).InterfaceFunc(func(g *jen.Group) {
		for _, m := range s.methods {
			g.Comment(docComment(
				methodDoc(m, "calls"),
				deprecated(methodDeprecated(m.method)),
			))
			g.Id(m.names.GoMethod).Add(clientSignature(m))
		}
	})
}

// clientSignature is (ctx, req, opts...) (*Reply, error), or for a
// server-streaming method (ctx, req, opts...)
// (*lkrpc.ServerStreamForClient[Reply], error).
func clientSignature(m methodModel) *jen.Statement {
	params := jen.Params(
		jen.Id("ctx").Qual(contextPackage, "Context"),
		jen.Id("req").Op("*").Add(qual(m.method.Input.GoIdent)),
		jen.Id("opts").Op("...").Qual(RuntimePackage, "CallOption"),
	)
	if m.streaming() {
		return params.Params(jen.Op("*").Qual(RuntimePackage, "ServerStreamForClient").Types(qual(m.method.Output.GoIdent)), jen.Error())
	}
	return params.Params(jen.Op("*").Add(qual(m.method.Output.GoIdent)), jen.Error())
}

// methodDoc is the proto comment of a method, or a sentence saying what the
// method of the client (verb "calls") or handler ("serves") does.
func methodDoc(m methodModel, verb string) string {
	if doc := protoDoc(m.method.Comments); doc != "" {
		return doc
	}
	return fmt.Sprintf("%s %s %s.", m.names.GoMethod, verb, m.method.Desc.FullName())
}

// generateClientConstructor emits NewXClient.
func generateClientConstructor(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(
		fmt.Sprintf("%s returns a %s that calls the participant whose identity is destination over t. "+
			"opts apply to every call; options given to a call override them.", s.names.NewClient, s.names.Client),
		deprecated(serviceDeprecated(s.svc)),
	))
	f.Func().Id(s.names.NewClient).Params(
		jen.Id("t").Qual(RuntimePackage, "Transport"),
		jen.Id("destination").String(),
		jen.Id("opts").Op("...").Qual(RuntimePackage, "CallOption"),
	).Id(s.names.Client).Block(
		jen.Return(jen.Op("&").Id(s.names.clientImpl).Values(jen.Dict{
			jen.Id("client"): jen.Qual(RuntimePackage, "NewClient").Call(jen.Id("t"), jen.Id("destination"), jen.Id("opts").Op("...")),
		})),
	)
}

// generateClientImpl emits the unexported client and its methods.
func generateClientImpl(f *jen.Group, s *serviceModel) {
	f.Comment(docComment(fmt.Sprintf("%s implements %s with an lkrpc.Client.", s.names.clientImpl, s.names.Client)))
	f.Type().Id(s.names.clientImpl).Struct(
		jen.Id("client").Op("*").Qual(RuntimePackage, "Client"),
	)
	for _, m := range s.methods {
		f.Line()
		f.Comment(docComment(fmt.Sprintf("%s calls %s.", m.names.GoMethod, m.method.Desc.FullName())))
		call := "Call"
		if m.streaming() {
			call = "CallServerStream"
		}
		f.Func().Params(jen.Id("c").Op("*").Id(s.names.clientImpl)).Id(m.names.GoMethod).Add(clientSignature(m)).Block(
			jen.Return(jen.Qual(RuntimePackage, call).Types(qual(m.method.Output.GoIdent)).Call(
				jen.Id("ctx"), jen.Id("c").Dot("client"), jen.Id(m.names.spec), jen.Id("req"), jen.Id("opts").Op("..."),
			)),
		)
	}
}
