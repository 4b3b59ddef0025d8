package main

import (
	"fmt"
	"os"
	"os/exec"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// request is the serialized CodeGeneratorRequest every plugin is fed, with
// what a correct response must hold.
type request struct {
	label        string // what it is, for the tables
	ids          [2]string
	wire         []byte
	services     int
	methods      int
	serviceFiles int // files to generate that declare services: one output file each
}

// writeRequest has the generator's own test serialize the synthetic 500×10
// request (generator/internal/synth is internal to generator/, and its
// -synth-out flag exists for exactly this), then reads it back and counts
// what the response must contain.
//
// The request carries parameter paths=source_relative, which all four
// plugins accept, and no plugin-specific options: psrpc, go-grpc and
// connect-go generate plain services without any.
func writeRequest(root, path string) (request, error) {
	return writeRequestWith(root, path, "TestSynthRequest", "-synth-out")
}

// writeWideRequest is writeRequest for the wide request (synth.Wide: 50
// files of 2 services × 5 methods, a comment on every element,
// well-known-type imports), written by TestSynthWideRequest.
func writeWideRequest(root, path string) (request, error) {
	return writeRequestWith(root, path, "TestSynthWideRequest", "-synth-wide-out")
}

func writeRequestWith(root, path, test, flag string) (request, error) {
	cmd := exec.Command("go", "test", "./generator", "-run", "^"+test+"$", "-count=1", flag, path)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return request{}, fmt.Errorf("writing the request with %s: %w\n%s", test, err, out)
	}
	wire, err := os.ReadFile(path)
	if err != nil {
		return request{}, err
	}
	req := new(pluginpb.CodeGeneratorRequest)
	if err := proto.Unmarshal(wire, req); err != nil {
		return request{}, fmt.Errorf("%s: %w", path, err)
	}
	r := request{wire: wire}
	toGenerate := make(map[string]bool, len(req.GetFileToGenerate()))
	for _, name := range req.GetFileToGenerate() {
		toGenerate[name] = true
	}
	for _, file := range req.GetProtoFile() {
		if !toGenerate[file.GetName()] || len(file.GetService()) == 0 {
			continue
		}
		r.serviceFiles++
		for _, svc := range file.GetService() {
			r.services++
			r.methods = max(r.methods, len(svc.GetMethod()))
		}
	}
	if r.serviceFiles == 0 {
		return request{}, fmt.Errorf("%s: the request generates no services", path)
	}
	return r, nil
}
