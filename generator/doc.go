// Package generator is the code generator behind protoc-gen-lkrpc: from the
// services of a protobuf file it emits <file>_lkrpc.pb.go, the typed lkrpc
// client, handler interface and registration for each service, beside the
// output of protoc-gen-go and in the same Go package.
//
// The work is split in two passes. The first (model.go, options.go,
// names.go) reads every service, resolves its lkrpc options, validates wire
// names and hands out collision-free Go identifiers; it reports every problem
// before anything is written. The second (file.go, service.go, client.go,
// handler.go) emits Go with jennifer, one small generate function per
// artifact. With the json_schema=true parameter (Params) it also writes
// <file>_<Service>.tools.json per service: each method as an LLM tool
// definition whose inputSchema is the JSON Schema of the request's protojson
// form (schema.go for the document, schemafield.go, schematypes.go and
// schemaoneof.go for the mapping).
//
// Generate adds the files to protogen, whose Response formats each one
// whole. The plugin binary instead writes its response through Respond
// (respond.go), which renders and formats each Go file one service at a
// time and streams it out, to the same bytes with a fraction of the memory,
// the files of a large request side by side, one goroutine per CPU
// (inorder.go); TrimRequest first drops the comments and fields the output
// never reads.
//
// The generator never imports the runtime: it only names its import path
// (RuntimePackage), so it builds and runs without the runtime compiled in.
package generator
