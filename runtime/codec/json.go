package codec

import (
	"fmt"
	"unsafe"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// jsonCodec is protojson with the options documented in the package doc.
type jsonCodec struct{}

var (
	jsonMarshal = protojson.MarshalOptions{
		UseProtoNames:   false, // lowerCamelCase JSON names, as JavaScript writes them
		EmitUnpopulated: false, // zero values omitted: smaller, and what JS omits too
	}
	jsonUnmarshal = protojson.UnmarshalOptions{
		DiscardUnknown: true, // older handlers accept newer callers
	}
)

func (jsonCodec) Name() string { return "json" }

func (jsonCodec) Marshal(m proto.Message) (string, error) {
	if m == nil {
		return "{}", nil
	}
	if proto.Size(m) == 0 && !specialJSON(m) && proto.CheckInitialized(m) == nil {
		// Nothing set: protojson would write "{}" (it omits what the
		// binary form omits) after allocations of its own; a missing
		// required field is left to it to report.
		return "{}", nil
	}
	b, err := jsonMarshal.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("codec: encode %s as JSON: %w", messageName(m), err)
	}
	// b is protojson's fresh buffer, never written again: the string
	// may share it rather than copy it.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

func (jsonCodec) Unmarshal(payload string, m proto.Message) error {
	if payload == "{}" && m != nil && !specialJSON(m) {
		// What protojson does with "{}": reset, then require what is
		// required (nothing in proto3).
		proto.Reset(m)
		if err := proto.CheckInitialized(m); err != nil {
			return fmt.Errorf("codec: payload is not valid JSON for %s: %w", messageName(m), err)
		}
		return nil
	}
	// protojson only reads its input (strings and bytes it decodes are
	// copies), so the payload's memory is lent rather than copied.
	if err := jsonUnmarshal.Unmarshal(unsafe.Slice(unsafe.StringData(payload), len(payload)), m); err != nil {
		return fmt.Errorf("codec: payload is not valid JSON for %s: %w", messageName(m), err)
	}
	return nil
}

// messageName names m's type for error messages.
// specialJSON reports whether m is a well-known type, whose JSON form is not
// an object of its fields (a Timestamp is a string, an empty Value is an
// error, ...): the shortcuts for empty messages leave those to protojson.
func specialJSON(m proto.Message) bool {
	return m.ProtoReflect().Descriptor().FullName().Parent() == "google.protobuf"
}

func messageName(m proto.Message) string {
	if m == nil {
		return "<nil message>"
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}
