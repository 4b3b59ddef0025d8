// Command protoc-gen-lkrpc is the protoc/buf plugin that generates lkrpc
// clients and handlers (<file>_lkrpc.pb.go) for the services of proto files.
//
// It takes protogen's standard parameters (paths=source_relative, module=,
// M<file>=<import path>) and one of its own, json_schema=true, which also
// writes <file>_<Service>.tools.json per service: the JSON Schema of each
// method's request as an LLM tool definition (see the README). Any other
// parameter is an error.
//
//	protoc --plugin=protoc-gen-lkrpc=$(go env GOPATH)/bin/protoc-gen-lkrpc \
//	  --lkrpc_out=. --lkrpc_opt=paths=source_relative,json_schema=true greeter.proto
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/lkrpc/lkrpc/generator"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Printf("%s v%s\n", filepath.Base(os.Args[0]), generator.Version)
		return
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// run is protogen.Options.Run with generator.Params.Respond in place of
// protogen's Response: the same request handling and the same response,
// written as each file is formatted (see Respond). Parameters other than
// protogen's own (paths, module, M…) go to Params, which refuses any it
// does not know.
func run() error {
	if len(os.Args) > 1 {
		return fmt.Errorf("unknown argument %q (this program should be run by protoc, not directly)", os.Args[1])
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	req := new(pluginpb.CodeGeneratorRequest)
	if err := proto.Unmarshal(in, req); err != nil {
		return err
	}
	generator.TrimRequest(req)
	var params generator.Params
	gen, err := protogen.Options{ParamFunc: params.Set}.New(req)
	if err != nil {
		return err
	}
	return params.Respond(gen, os.Stdout)
}
