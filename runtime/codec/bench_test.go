package codec_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

// benchMessage is descriptor.proto's own descriptor: a realistic nested
// message of a few kilobytes.
func benchMessage() proto.Message {
	return protodesc.ToFileDescriptorProto(descriptorpb.File_google_protobuf_descriptor_proto)
}

func BenchmarkCodecs(b *testing.B) {
	m := benchMessage()
	for _, c := range []codec.Codec{codec.JSON, codec.Binary} {
		payload, err := c.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name()+"/marshal", func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := c.Marshal(m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.Name()+"/unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			var out descriptorpb.FileDescriptorProto
			for b.Loop() {
				if _, err := codec.Unmarshal(payload, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Logf("%s payload: %d bytes", c.Name(), len(payload))
	}
}
