package generator

import (
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// Version is the generator's version, written into every generated header.
const Version = "0.1.0"

// RuntimePackage is the import path of the runtime that generated code calls,
// imported under the name RuntimeAlias.
const (
	RuntimePackage = "github.com/lkrpc/lkrpc/runtime"
	RuntimeAlias   = "lkrpc"
)

// Features the plugin declares to protoc and buf: proto3 optional fields and
// editions 2023 to 2024 (the generator reads nothing that editions change).
const (
	SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL |
		pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)
	SupportedEditionsMinimum = descriptorpb.Edition_EDITION_2023
	SupportedEditionsMaximum = descriptorpb.Edition_EDITION_2024
)
