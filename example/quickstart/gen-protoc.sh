#!/bin/sh
# gen-protoc.sh generates gen/ with protoc instead of buf: the same files as
# `go tool -modfile=tools/go.mod buf generate`, except for the protoc version
# in protoc-gen-go's header. Needs protoc (Debian: apt-get install
# protobuf-compiler); the plugins are built at the versions go.mod pins.
set -eu
cd "$(dirname "$0")"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/" google.golang.org/protobuf/cmd/protoc-gen-go github.com/lkrpc/lkrpc/cmd/protoc-gen-lkrpc

# lkrpc/v1/options.proto, straight from the lkrpc module go.mod requires.
lkrpc=$(go list -m -f '{{.Dir}}' github.com/lkrpc/lkrpc)

rm -rf gen
mkdir gen
protoc -I proto -I "$lkrpc/proto" \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" --go_out=gen --go_opt=paths=source_relative \
	--plugin=protoc-gen-lkrpc="$bin/protoc-gen-lkrpc" --lkrpc_out=gen --lkrpc_opt=paths=source_relative \
	$(find proto -name '*.proto')
