// Package lkrpcv1 holds the Go types of proto/lkrpc/v1/options.proto, the
// custom options protoc-gen-lkrpc reads: lkrpc.v1.service (extension 58110
// of google.protobuf.ServiceOptions) and lkrpc.v1.method (extension 58111 of
// google.protobuf.MethodOptions). The generator imports it to read them; user
// code never needs to.
package lkrpcv1
