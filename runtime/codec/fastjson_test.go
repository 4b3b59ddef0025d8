package codec

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// kindsMessage is a message with a field of every kind the fast paths
// handle, singular and repeated, and a few they leave to protojson.
var kindsMessage = func() protoreflect.MessageDescriptor {
	f := func(name string, n int32, t descriptorpb.FieldDescriptorProto_Type, repeated bool) *descriptorpb.FieldDescriptorProto {
		label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if repeated {
			label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		return &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Type: t.Enum(), Label: label.Enum()}
	}
	typed := func(fd *descriptorpb.FieldDescriptorProto, typeName string) *descriptorpb.FieldDescriptorProto {
		fd.TypeName = proto.String(typeName)
		return fd
	}
	type T = descriptorpb.FieldDescriptorProto_Type
	scalars := []T{
		descriptorpb.FieldDescriptorProto_TYPE_BOOL, descriptorpb.FieldDescriptorProto_TYPE_INT32,
		descriptorpb.FieldDescriptorProto_TYPE_SINT32, descriptorpb.FieldDescriptorProto_TYPE_SFIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_FIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_SINT64,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
		descriptorpb.FieldDescriptorProto_TYPE_FIXED64, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
		descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_STRING,
		descriptorpb.FieldDescriptorProto_TYPE_BYTES,
	}
	var fields []*descriptorpb.FieldDescriptorProto
	n := int32(1)
	for _, t := range scalars {
		name := strings.ToLower(strings.TrimPrefix(t.String(), "TYPE_"))
		fields = append(fields, f("s_"+name, n, t, false), f("r_"+name, n+1, t, true))
		n += 2
	}
	fields = append(fields,
		typed(f("color", n, descriptorpb.FieldDescriptorProto_TYPE_ENUM, false), ".kinds.Color"),
		typed(f("colors", n+1, descriptorpb.FieldDescriptorProto_TYPE_ENUM, true), ".kinds.Color"),
		typed(f("child", n+2, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, false), ".kinds.Kinds"),
		typed(f("children", n+3, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, true), ".kinds.Kinds"),
		typed(f("at", n+4, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, false), ".google.protobuf.Timestamp"),
		typed(f("ats", n+5, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, true), ".google.protobuf.Timestamp"),
		typed(f("counts", n+6, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, true), ".kinds.Kinds.CountsEntry"),
	)
	oneofA, oneofB := f("one_a", n+7, descriptorpb.FieldDescriptorProto_TYPE_STRING, false), f("one_b", n+8, descriptorpb.FieldDescriptorProto_TYPE_INT32, false)
	oneofA.OneofIndex, oneofB.OneofIndex = proto.Int32(0), proto.Int32(0)
	opt := f("maybe", n+9, descriptorpb.FieldDescriptorProto_TYPE_INT32, false)
	opt.OneofIndex, opt.Proto3Optional = proto.Int32(1), proto.Bool(true)
	named := f("named", n+10, descriptorpb.FieldDescriptorProto_TYPE_STRING, false)
	named.JsonName = proto.String("custom\"Name")
	fields = append(fields, oneofA, oneofB, opt, named)
	file := &descriptorpb.FileDescriptorProto{
		Name: proto.String("kinds.proto"), Package: proto.String("kinds"), Syntax: proto.String("proto3"),
		Dependency: []string{"google/protobuf/timestamp.proto"},
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("Color"), Value: []*descriptorpb.EnumValueDescriptorProto{
			{Name: proto.String("COLOR_UNSPECIFIED"), Number: proto.Int32(0)},
			{Name: proto.String("RED"), Number: proto.Int32(1)},
			{Name: proto.String("GREEN"), Number: proto.Int32(2)},
		}}},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Kinds"), Field: fields,
			OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("one")}, {Name: proto.String("_maybe")}},
			NestedType: []*descriptorpb.DescriptorProto{{
				Name:    proto.String("CountsEntry"),
				Field:   []*descriptorpb.FieldDescriptorProto{f("key", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, false), f("value", 2, descriptorpb.FieldDescriptorProto_TYPE_INT32, false)},
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
			}},
		}},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	return fd.Messages().ByName("Kinds")
}()

var (
	strictJSON = protojson.MarshalOptions{}
	readJSON   = protojson.UnmarshalOptions{DiscardUnknown: true}
)

var sampleStrings = []string{"", "a", "héllo wörld 😀", "quote \" back \\ slash /", "ctl \x00\x01\x1f\b\f\n\r\t", "\u2028\u2029<>&", "\xff\xfe", "é\xc3"}

var sampleFloats = []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e-7, 1e-6, 1e21, 1e20, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.NaN(), math.Inf(1), math.Inf(-1)}

var sampleInts = []int64{0, 1, -1, 42, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, 1 << 53, -(1 << 53) - 1}

var sampleSeconds = []int64{0, 1, -1, 1764000000, minTimestampSeconds, maxTimestampSeconds, minTimestampSeconds - 1, maxTimestampSeconds + 1}

var sampleNanos = []int32{0, 1, 123456000, 100000000, 120000000, 123456789, 999999999, 1000000000, -1}

// randomValue is a value for fd, sometimes one protojson refuses.
func randomValue(rng *rand.Rand, m protoreflect.Message, fd protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	pick := func(n int) int { return rng.IntN(n) }
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(pick(2) == 0)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(sampleInts[pick(len(sampleInts))]))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(sampleInts[pick(len(sampleInts))]))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(sampleInts[pick(len(sampleInts))])
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(sampleInts[pick(len(sampleInts))]))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(sampleFloats[pick(len(sampleFloats))] * (1 + rng.Float64())))
	case protoreflect.DoubleKind:
		f := sampleFloats[pick(len(sampleFloats))]
		if pick(2) == 0 {
			f *= rng.Float64()
		}
		return protoreflect.ValueOfFloat64(f)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(sampleStrings[pick(len(sampleStrings))] + sampleStrings[pick(len(sampleStrings)-2)])
	case protoreflect.BytesKind:
		b := make([]byte, pick(7))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(pick(4)))
	case protoreflect.MessageKind:
		var v protoreflect.Value
		if fd.IsList() {
			v = m.Mutable(fd).List().NewElement()
		} else {
			v = m.NewField(fd)
		}
		if fd.Message().FullName() == timestampName {
			fields := fd.Message().Fields()
			v.Message().Set(fields.ByNumber(1), protoreflect.ValueOfInt64(sampleSeconds[pick(len(sampleSeconds))]))
			v.Message().Set(fields.ByNumber(2), protoreflect.ValueOfInt32(sampleNanos[pick(len(sampleNanos))]))
			return v
		}
		fillRandom(rng, v.Message(), depth+1)
		return v
	}
	panic(fd.Kind())
}

// fillRandom sets a random selection of m's fields.
func fillRandom(rng *rand.Rand, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if rng.IntN(3) != 0 || (fd.Kind() == protoreflect.MessageKind && depth > 2) {
			continue
		}
		switch {
		case fd.IsMap():
			if rng.IntN(4) == 0 {
				m.Mutable(fd).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfInt32(1))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range rng.IntN(3) {
				l.Append(randomValue(rng, m, fd, depth))
			}
		default:
			m.Set(fd, randomValue(rng, m, fd, depth))
		}
	}
}

func compact(t *testing.T, s []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, s); err != nil {
		t.Fatalf("not JSON: %q: %v", s, err)
	}
	return b.String()
}

func sameMessage(a, b proto.Message) bool {
	opts := proto.MarshalOptions{Deterministic: true}
	x, err1 := opts.Marshal(a)
	y, err2 := opts.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// The fast encoder writes what protojson writes (apart from protojson's
// random spaces) whenever it does not give up, and gives up only where a
// message holds what it leaves to protojson; the fast decoder reads
// protojson's output back to the same message.
func TestFastJSONMatchesProtojson(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var fast, decoded int
	for i := range 5000 {
		m := dynamicpb.NewMessage(kindsMessage)
		fillRandom(rng, m, 0)
		got, ok := appendMessageJSON(nil, m, planOf(m.Descriptor()), nil, 0)
		want, err := strictJSON.Marshal(m)
		if ok {
			fast++
			if err != nil {
				t.Fatalf("#%d: fast path wrote %q where protojson fails: %v", i, got, err)
			}
			if c := compact(t, want); string(got) != c {
				t.Fatalf("#%d: fast path wrote\n%s\nprotojson\n%s", i, got, c)
			}
		}
		if err != nil {
			continue
		}
		back := dynamicpb.NewMessage(kindsMessage)
		if decodeMessageJSON(string(want), back, planOf(kindsMessage), nil) {
			decoded++
			if !sameMessage(m, back) {
				t.Fatalf("#%d: fast decode of %s gives %v, want %v", i, want, back, m)
			}
		} else if ok {
			t.Fatalf("#%d: fast decode gave up on %s, which the fast encoder writes", i, want)
		}
		checkDecode(t, string(want))
		mutate(t, rng, want)
	}
	t.Logf("fast encode %d, fast decode %d of 5000", fast, decoded)
	if fast < 1000 || decoded < 1000 {
		t.Fatalf("fast paths taken too rarely: encode %d, decode %d of 5000", fast, decoded)
	}
}

// checkDecode fails when the fast decoder accepts payload and protojson
// does not, or decodes it differently.
func checkDecode(t *testing.T, payload string) {
	t.Helper()
	m := dynamicpb.NewMessage(kindsMessage)
	if !decodeMessageJSON(payload, m, planOf(kindsMessage), nil) {
		return
	}
	want := dynamicpb.NewMessage(kindsMessage)
	if err := readJSON.Unmarshal([]byte(payload), want); err != nil {
		t.Fatalf("fast decode accepts %q, protojson: %v", payload, err)
	}
	if !sameMessage(m, want) {
		t.Fatalf("%q: fast decode gives %v, protojson %v", payload, m, want)
	}
}

// mutate checks decoding of variants of payload with a byte changed,
// removed or repeated.
func mutate(t *testing.T, rng *rand.Rand, payload []byte) {
	t.Helper()
	alphabet := []byte(" \t\n{}[],:\"\\-+.0123456789eEtruefalsnul/bfnrtuZT\x00\x7f\xc3\xa9")
	for range 4 {
		if len(payload) == 0 {
			return
		}
		p := bytes.Clone(payload)
		i := rng.IntN(len(p))
		switch rng.IntN(3) {
		case 0:
			p[i] = alphabet[rng.IntN(len(alphabet))]
		case 1:
			p = append(p[:i], p[i+1:]...)
		default:
			p = append(p[:i+1], p[i:]...)
		}
		checkDecode(t, string(p))
	}
}

func TestFastJSONDecodeEdgeCases(t *testing.T) {
	for _, payload := range []string{
		`{}`, ` { } `, `{"sInt32":1}`, `{"s_int32":1}`, `{"sInt32":1,"s_int32":2}`, `{"sInt32":"12"}`, `{"sInt32":" 12"}`,
		`{"sInt32":1.0}`, `{"sInt32":1e2}`, `{"sInt32":01}`, `{"sInt32":-0}`, `{"sInt32":2147483648}`, `{"sUint32":-1}`,
		`{"sInt64":"9223372036854775807"}`, `{"sInt64":9223372036854775808}`, `{"sBool":true}`, `{"sBool":"true"}`,
		`{"sBool":truex}`, `{"sDouble":"NaN"}`, `{"sDouble":1e400}`, `{"sFloat":1e39}`, `{"sDouble":-0.0}`, `{"sDouble":.5}`,
		`{"sString":"a\u00e9\ud83d\ude00"}`, `{"sString":"\ud800"}`, `{"sString":"a\/b\"c\\"}`, `{"sString":"tab	"}`,
		`{"sBytes":"AQID"}`, `{"sBytes":"AQI"}`, `{"sBytes":"-_-_"}`, `{"sBytes":"AQ=="}`, `{"sBytes":"A"}`,
		`{"color":"RED"}`, `{"color":"BLUE"}`, `{"color":7}`, `{"color":null}`, `{"colors":["RED",2]}`,
		`{"at":"2026-11-24T05:00:00.123456Z"}`, `{"at":"2026-11-24T05:00:00+01:00"}`, `{"at":"2026-11-24T05:00:00.1234567890Z"}`,
		`{"at":"0000-01-01T00:00:00Z"}`, `{"at":"2026-11-24 05:00:00Z"}`, `{"at":"2026-11-24T05:00:00z"}`,
		`{"child":{"child":{"sString":"x"}},"children":[{},{"sBool":false}]}`, `{"oneA":"x","oneB":1}`, `{"maybe":0}`,
		`{"custom\"Name":"x"}`, `{"named":"x"}`, `{"counts":{"a":1}}`, `{"unknown":1}`, `{"sInt32":1,}`, `{"sInt32":1}x`,
		`{"rInt32":[1,2,]}`, `{"rInt32":[]}`, `{"rInt32":[null]}`, `{"rString":["a","b"]}`, `[]`, ``, `{"sString":"\xff"}`,
	} {
		checkDecode(t, payload)
	}
}

// Timestamps in the form every writer uses, and near it, read as protojson
// reads them.
func TestFastJSONTimestamps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range []string{
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2026-04-31T00:00:00Z", "2026-12-31T24:00:00Z",
		"2026-12-31T23:60:00Z", "2026-12-31T23:59:60Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567891Z", "2026-01-01T00:00:00,1Z", "+026-01-01T00:00:00Z",
		"2026-01-01T00:00:00.5+00:00", "2026-01-01t00:00:00Z", "2026-1-01T00:00:00Z",
	} {
		checkDecode(t, `{"at":"`+s+`"}`)
	}
	for range 20000 {
		secs := minTimestampSeconds + rng.Int64N(maxTimestampSeconds-minTimestampSeconds+1)
		s := time.Unix(secs, 0).UTC().Format("2006-01-02T15:04:05")
		if digits := rng.IntN(11); digits > 0 {
			s += "." + strconv.Itoa(1_000_000_000 + rng.IntN(1_000_000_000))[1:][:min(digits, 9)] + strings.Repeat("7", max(0, digits-9))
		}
		checkDecode(t, `{"at":"`+s+`Z"}`)
		checkEncode(t, secs, int32(rng.IntN(1_000_000_000)/pow10[rng.IntN(4)*3]*pow10[rng.IntN(4)*3]%1_000_000_000))
		m := dynamicpb.NewMessage(kindsMessage)
		if digits := len(s) - 20; digits <= 9 && !decodeMessageJSON(`{"at":"`+s+`Z"}`, m, planOf(kindsMessage), nil) {
			t.Fatalf("%s: not read", s)
		}
	}
}

// checkEncode fails when the fast encoder writes a Timestamp other than
// protojson does.
func checkEncode(t *testing.T, secs int64, nanos int32) {
	t.Helper()
	ts := &timestamppb.Timestamp{Seconds: secs, Nanos: nanos}
	got, ok := appendTimestampJSON(nil, ts.ProtoReflect())
	want, err := strictJSON.Marshal(ts)
	if !ok || err != nil || string(got) != string(want) {
		t.Fatalf("%d.%09d: fast %s (%v), protojson %s (%v)", secs, nanos, got, ok, want, err)
	}
}

func FuzzFastJSONDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		m := dynamicpb.NewMessage(kindsMessage)
		fillRandom(rng, m, 0)
		if b, err := strictJSON.Marshal(m); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, payload string) { checkDecode(t, payload) })
}
