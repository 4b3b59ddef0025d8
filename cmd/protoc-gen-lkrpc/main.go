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
	"os"
	"path/filepath"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/lkrpc/lkrpc/generator"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Printf("%s v%s\n", filepath.Base(os.Args[0]), generator.Version)
		return
	}
	// Parameters other than protogen's own (paths, module, M…) go to
	// Params, which refuses any it does not know.
	var params generator.Params
	protogen.Options{ParamFunc: params.Set}.Run(params.Generate)
}
