// Command protoc-gen-lkrpc is the protoc/buf plugin that generates lkrpc
// clients and handlers (<file>_lkrpc.pb.go) for the services of proto files.
//
// It takes protogen's standard parameters (paths=source_relative, module=,
// M<file>=<import path>) and no others:
//
//	protoc --plugin=protoc-gen-lkrpc=$(go env GOPATH)/bin/protoc-gen-lkrpc \
//	  --lkrpc_out=. --lkrpc_opt=paths=source_relative greeter.proto
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
	// Plugin parameters other than protogen's own (paths, module, M…) would
	// be flags here; there are none, so an unknown parameter is an error.
	var params flag.FlagSet
	protogen.Options{ParamFunc: params.Set}.Run(generator.Generate)
}
