package generator

import (
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// servicePath is the first element of a source location's path that points
// into a file's services (FileDescriptorProto.service).
const servicePath = 6

// TrimRequest drops from req, before protogen.Options.New builds its model
// of it, what the plugin never reads. protogen would otherwise build and
// keep, indexed, a descriptor and a protogen value for each for the whole
// run: that model, not the output, is most of the plugin's peak memory.
// Only without json_schema, whose tool descriptions read every message,
// field and comment:
//   - only the comments of services and their methods reach the output, so
//     every other source location goes (about 2 MiB of the wide bench
//     request's peak);
//   - a message's fields are read only to reserve the Go names
//     protoc-gen-go declares for them (reserveMessage): oneof wrapper types
//     and proto2 defaults. A message with neither loses its fields, which
//     changes no other field's Go name (protogen makes a message's field
//     names unique among themselves) and no name the plugin reads; a map
//     entry keeps its key and value, which protodesc requires.
func TrimRequest(req *pluginpb.CodeGeneratorRequest) {
	var params Params
	for _, param := range strings.Split(req.GetParameter(), ",") {
		name, value, _ := strings.Cut(param, "=")
		if name == ParamJSONSchema && (params.Set(name, value) != nil || params.JSONSchema) {
			return // the tool descriptions read them all (or New refuses the value)
		}
	}
	for _, file := range req.GetProtoFile() {
		trimMessages(file.GetMessageType())
		info := file.GetSourceCodeInfo()
		if info == nil {
			continue
		}
		kept := info.Location[:0]
		for _, loc := range info.Location {
			if len(loc.Path) > 0 && loc.Path[0] == servicePath {
				kept = append(kept, loc)
			}
		}
		clear(info.Location[len(kept):])
		info.Location = kept
	}
}

// trimMessages drops the fields of every message in msgs, nested ones too,
// that reserveMessage does not read (see TrimRequest).
func trimMessages(msgs []*descriptorpb.DescriptorProto) {
	for _, msg := range msgs {
		trimMessages(msg.GetNestedType())
		if msg.GetOptions().GetMapEntry() {
			continue
		}
		needed := false
		for _, field := range msg.GetField() {
			needed = needed || field.OneofIndex != nil || field.DefaultValue != nil
		}
		if !needed {
			msg.Field = nil
		}
	}
}
