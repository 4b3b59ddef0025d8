package codec

import (
	"fmt"

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
	b, err := jsonMarshal.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("codec: encode %s as JSON: %w", messageName(m), err)
	}
	return string(b), nil
}

func (jsonCodec) Unmarshal(payload string, m proto.Message) error {
	if err := jsonUnmarshal.Unmarshal([]byte(payload), m); err != nil {
		return fmt.Errorf("codec: payload is not valid JSON for %s: %w", messageName(m), err)
	}
	return nil
}

// messageName names m's type for error messages.
func messageName(m proto.Message) string {
	if m == nil {
		return "<nil message>"
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}
