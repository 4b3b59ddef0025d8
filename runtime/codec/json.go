package codec

import (
	"fmt"
	"sync"
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

// jsonBuffers are the fast path's output buffers; one that grew beyond
// maxPooledBuffer is left to the collector.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledBuffer = 64 << 10

func (jsonCodec) Name() string { return "json" }

func (jsonCodec) Marshal(m proto.Message) (string, error) {
	if m == nil {
		return "{}", nil
	}
	pm := m.ProtoReflect()
	plan := planOf(pm.Descriptor())
	if plan.plain && len(plan.keys) == 0 {
		return "{}", nil // a message without fields
	}
	// Most messages take the fast path (fastjson.go), into a pooled
	// buffer and then the one allocation of the string.
	bp := jsonBuffers.Get().(*[]byte)
	b, ok := appendMessageJSON((*bp)[:0], pm, plan, plan.timestamps.at(m), 0)
	var s string
	switch {
	case ok && len(b) == 2:
		s = "{}" // nothing set
	case ok:
		s = string(b)
	}
	if cap(b) <= maxPooledBuffer {
		*bp = b[:0]
		jsonBuffers.Put(bp)
	}
	if ok {
		return s, nil
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
	if m != nil {
		proto.Reset(m)
		pm := m.ProtoReflect()
		plan := planOf(pm.Descriptor())
		if decodeMessageJSON(payload, pm, plan, plan.timestamps.at(m)) {
			return nil
		}
		// Something only protojson reads (or refuses): it starts again
		// from an empty message.
	}
	// protojson only reads its input (strings and bytes it decodes are
	// copies), so the payload's memory is lent rather than copied.
	if err := jsonUnmarshal.Unmarshal(unsafe.Slice(unsafe.StringData(payload), len(payload)), m); err != nil {
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
