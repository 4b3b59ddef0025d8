package codec_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		payload string
		want    codec.Codec
	}{
		{"", codec.Binary},
		{"{}", codec.JSON},
		{" \t\r\n{\"a\":1}", codec.JSON},
		{"CgVoZWxsbw==", codec.Binary},
		{"[1,2]", codec.JSON},
		{`"text"`, codec.JSON},
		{"-5", codec.JSON},
		{"5", codec.Binary}, // digits are base64 too: Unmarshal falls back
		{"true", codec.Binary},
		{"\v{}", codec.Binary}, // vertical tab is not JSON whitespace
		{"   ", codec.Binary},
	}
	for _, c := range cases {
		if got := codec.Detect(c.payload); got != c.want {
			t.Errorf("Detect(%q) = %s, want %s", c.payload, got.Name(), c.want.Name())
		}
	}
}

func TestJSONUsesLowerCamelCaseAndOmitsZeroValues(t *testing.T) {
	m := &descriptorpb.FieldDescriptorProto{
		Name:     proto.String("user_id"),
		JsonName: proto.String("userId"),
		TypeName: proto.String(""),
	}
	got, err := codec.JSON.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `"jsonName"`) || strings.Contains(got, `"json_name"`) {
		t.Errorf("JSON field names are not lowerCamelCase: %s", got)
	}
	if strings.Contains(got, `"number"`) {
		t.Errorf("unset field emitted: %s", got)
	}
	s, _ := structpb.NewStruct(map[string]any{})
	if got, _ := codec.JSON.Marshal(s); strings.TrimSpace(got) != "{}" {
		t.Errorf("empty message encodes as %q, want {}", got)
	}
}

func TestJSONAcceptsProtoNamesAndDiscardsUnknownFields(t *testing.T) {
	var m descriptorpb.FieldDescriptorProto
	payload := `{"json_name":"a","typeName":"b","fieldFromTheFuture":{"x":[1,2]}}`
	if err := codec.JSON.Unmarshal(payload, &m); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if m.GetJsonName() != "a" || m.GetTypeName() != "b" {
		t.Errorf("decoded %v", &m)
	}
}

func TestBinaryIsStandardBase64(t *testing.T) {
	m := wrapperspb.String("hello? >>>") // bytes that differ between Std and URL alphabets
	got, err := codec.Binary.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := proto.Marshal(m)
	if want := base64.StdEncoding.EncodeToString(raw); got != want {
		t.Errorf("Marshal = %q, want %q", got, want)
	}
	var back wrapperspb.StringValue
	if err := codec.Binary.Unmarshal(got, &back); err != nil || back.GetValue() != m.GetValue() {
		t.Errorf("round trip: %v, %v", &back, err)
	}
}

func TestEmptyPayloadIsEmptyMessage(t *testing.T) {
	m := wrapperspb.String("left over")
	c, err := codec.Unmarshal("", m)
	if err != nil {
		t.Fatal(err)
	}
	if c != codec.Binary || m.GetValue() != "" {
		t.Errorf("codec %s, message %v; want binary and empty", c.Name(), m)
	}
}

func TestNilMessageEncodesEmpty(t *testing.T) {
	if got, err := codec.JSON.Marshal(nil); got != "{}" || err != nil {
		t.Errorf("JSON.Marshal(nil) = %q, %v", got, err)
	}
	if got, err := codec.Binary.Marshal(nil); got != "" || err != nil {
		t.Errorf("Binary.Marshal(nil) = %q, %v", got, err)
	}
}

func TestMalformedPayloadsGiveClearErrors(t *testing.T) {
	cases := []struct {
		payload string
		want    string
	}{
		{`{"value": 12`, "not valid JSON for google.protobuf.StringValue"},
		{`{"value": 12}`, "not valid JSON"},
		{"not base64!", "neither a JSON object nor standard base64"},
		{base64.StdEncoding.EncodeToString([]byte{0x0a, 0x05, 'a'}), "not valid protobuf for google.protobuf.StringValue"},
		{base64.StdEncoding.EncodeToString([]byte{0x0a, 0x02, 0xff, 0xfe}), "not valid protobuf"}, // invalid UTF-8 in a string
	}
	for _, c := range cases {
		var m wrapperspb.StringValue
		_, err := codec.Unmarshal(c.payload, &m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Unmarshal(%q) error = %v, want it to contain %q", c.payload, err, c.want)
		}
	}
}

func TestEncodeErrorNamesTheMessage(t *testing.T) {
	bad := wrapperspb.String("\xff") // proto3 strings must be UTF-8
	for _, c := range []codec.Codec{codec.JSON, codec.Binary} {
		_, err := c.Marshal(bad)
		if err == nil || !strings.Contains(err.Error(), "google.protobuf.StringValue") {
			t.Errorf("%s.Marshal(invalid UTF-8) error = %v", c.Name(), err)
		}
	}
}

// Every codec's output, for messages whose JSON form is not an object too,
// decodes through detection with the same codec.
func TestDetectionRoundTripsWellKnownTypes(t *testing.T) {
	msgs := []proto.Message{
		wrapperspb.String("text"), wrapperspb.String(""), wrapperspb.Int32(5), wrapperspb.Int32(-5),
		wrapperspb.Int64(-1 << 40), wrapperspb.UInt32(1234), wrapperspb.Double(1.5),
		wrapperspb.Bool(true), wrapperspb.Bool(false), wrapperspb.Bytes([]byte{0xff, 0}),
		durationpb.New(1500 * time.Millisecond), timestamppb.New(time.Unix(1700000000, 5)),
		&fieldmaskpb.FieldMask{Paths: []string{"a.b", "c"}},
		structpb.NewNullValue(), structpb.NewNumberValue(-3), structpb.NewBoolValue(true),
		&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("x")}},
		&emptypb.Empty{},
	}
	for _, m := range msgs {
		for _, c := range []codec.Codec{codec.JSON, codec.Binary} {
			payload, err := c.Marshal(m)
			if err != nil {
				t.Fatalf("%s.Marshal(%v): %v", c.Name(), m, err)
			}
			back := m.ProtoReflect().New().Interface()
			got, err := codec.Unmarshal(payload, back)
			if err != nil {
				t.Errorf("%T %q: %v", m, payload, err)
				continue
			}
			if !proto.Equal(m, back) {
				t.Errorf("%T %q decoded to %v", m, payload, back)
			}
			// An empty binary payload is every codec's empty message.
			if got != c && payload != "" {
				t.Errorf("%T %q detected as %s, want %s", m, payload, got.Name(), c.Name())
			}
		}
	}
}

// Bare JSON numbers are valid base64 when their length is a multiple of
// four; none of them may be taken for binary protobuf.
func TestBareJSONNumbersAreNotTakenForBase64(t *testing.T) {
	for i := int32(0); i < 20000; i++ {
		payload, _ := codec.JSON.Marshal(wrapperspb.Int32(i))
		var back wrapperspb.Int32Value
		c, err := codec.Unmarshal(payload, &back)
		if err != nil || c != codec.JSON || back.GetValue() != i {
			t.Fatalf("%q: codec %s, value %d, err %v", payload, c.Name(), back.GetValue(), err)
		}
	}
}

// The JSON codec's shortcuts for empty messages ("{}" both ways) give what
// protojson gives: for messages of every syntax, with presence fields set
// to zero values (not empty), unknown fields, required fields, and the
// well-known types whose JSON is not an object (left to protojson).
func TestJSONEmptyMessageShortcutsMatchProtojson(t *testing.T) {
	withUnknown := &descriptorpb.FileOptions{}
	withUnknown.ProtoReflect().SetUnknown([]byte{0xf8, 0xff, 0x03, 0x01}) // field 65535, varint 1
	msgs := []proto.Message{
		&descriptorpb.FileDescriptorProto{},
		&descriptorpb.FieldDescriptorProto{Name: proto.String("")}, // proto2 presence: set though empty
		&descriptorpb.UninterpretedOption_NamePart{},               // two required fields
		withUnknown,
		&emptypb.Empty{},
		&timestamppb.Timestamp{},
		&durationpb.Duration{},
		&wrapperspb.StringValue{},
		&structpb.Struct{},
		&structpb.Value{},
		&fieldmaskpb.FieldMask{},
	}
	for _, m := range msgs {
		name := string(m.ProtoReflect().Descriptor().FullName())
		want, wantErr := protojson.Marshal(m)
		got, err := codec.JSON.Marshal(m)
		if (err != nil) != (wantErr != nil) || (err == nil && strings.Join(strings.Fields(string(want)), "") != strings.Join(strings.Fields(got), "")) {
			t.Errorf("Marshal(%s) = %q, %v; protojson: %q, %v", name, got, err, want, wantErr)
		}

		viaCodec, viaProtojson := proto.Clone(m), proto.Clone(m)
		err = codec.JSON.Unmarshal("{}", viaCodec)
		wantErr = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal([]byte("{}"), viaProtojson)
		if (err != nil) != (wantErr != nil) || (err == nil && !proto.Equal(viaCodec, viaProtojson)) {
			t.Errorf("Unmarshal(\"{}\") into %s: %v, %v; protojson: %v, %v", name, viaCodec, err, viaProtojson, wantErr)
		}
	}
}
