package codec_test

import (
	"encoding/base64"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

// fuzzTargets are message types with a wide spread of field kinds: proto2
// optionals, enums, nested and repeated messages (FileDescriptorProto), maps,
// oneofs and doubles (Struct).
func fuzzTargets() []func() proto.Message {
	return []func() proto.Message{
		func() proto.Message { return new(descriptorpb.FileDescriptorProto) },
		func() proto.Message { return new(structpb.Struct) },
	}
}

// roundTrip checks that whatever c decodes from payload encodes and decodes
// again to an equal message.
func roundTrip(t *testing.T, c codec.Codec, payload string) {
	for _, newMsg := range fuzzTargets() {
		m := newMsg()
		if err := c.Unmarshal(payload, m); err != nil {
			continue
		}
		enc, err := c.Marshal(m)
		if err != nil {
			// Binary accepts what JSON cannot express (e.g. NaN in a
			// Struct); the codec under test must still re-encode itself.
			t.Fatalf("%s: re-encode of decoded %T failed: %v", c.Name(), m, err)
		}
		back := newMsg()
		if err := c.Unmarshal(enc, back); err != nil {
			t.Fatalf("%s: decode of own output %q failed: %v", c.Name(), enc, err)
		}
		if !proto.Equal(m, back) {
			t.Fatalf("%s: round trip changed %T:\n first %v\nsecond %v", c.Name(), m, m, back)
		}
	}
}

func FuzzJSON(f *testing.F) {
	f.Add(`{}`)
	f.Add(`{"name":"a.proto","package":"x.y","messageType":[{"name":"M","field":[{"name":"f","number":1,"type":"TYPE_STRING"}]}]}`)
	f.Add(`{"a":1,"b":[true,null,"s",{"c":-2.5e3}]}`)
	f.Add(`{"syntax":"proto3","unknown":{"deep":[[[]]]}}`)
	f.Add(` {"name":"\u00e9\ud83d\ude00"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		roundTrip(t, codec.JSON, payload)
	})
}

func FuzzBinary(f *testing.F) {
	f.Add("")
	fd := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("a.proto"),
		Package: proto.String("x"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("M"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("f"), Number: proto.Int32(1),
				Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
			}},
		}},
	}
	b, _ := proto.Marshal(fd)
	f.Add(base64.StdEncoding.EncodeToString(b))
	s, _ := structpb.NewStruct(map[string]any{"a": 1.5, "b": []any{"x", true, nil}})
	b, _ = proto.Marshal(s)
	f.Add(base64.StdEncoding.EncodeToString(b))
	f.Add(base64.StdEncoding.EncodeToString([]byte{0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00})) // unknown high field
	f.Add("####")
	f.Fuzz(func(t *testing.T, payload string) {
		roundTrip(t, codec.Binary, payload)
	})
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"", "{}", " \n{", "Cg==", "[", "\t", "\x00{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		c := codec.Detect(payload)
		want := codec.Binary
		for i := 0; i < len(payload); i++ {
			if ch := payload[i]; ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' {
				if ch == '{' || ch == '[' || ch == '"' || ch == '-' {
					want = codec.JSON
				}
				break
			}
		}
		if c != want {
			t.Fatalf("Detect(%q) = %s, want %s", payload, c.Name(), want.Name())
		}
		// Decoding whatever arrives must never panic.
		_, _ = codec.Unmarshal(payload, new(structpb.Struct))
	})
}
