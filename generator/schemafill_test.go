package generator

import (
	"math"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fillVariants is how many differently filled messages each request type
// gets: enough for every member of the test protos' oneofs to be chosen
// once, and for every edge value of a kind to appear.
const fillVariants = 6

// fillDepth bounds how deep the filler follows message fields, which
// recursive messages would follow forever.
const fillDepth = 3

// fill sets every field of m (one member per oneof, chosen by variant) to
// values that differ by variant and include each kind's edge values: the
// largest and smallest integers, NaN and the infinities, empty and
// non-ASCII strings, empty bytes, and for well-known types their extremes.
func fill(m protoreflect.Message, variant, depth int) {
	if lit, ok := wellKnownLiteral(m.Descriptor().FullName(), variant); ok {
		if err := protojson.Unmarshal([]byte(lit), m.Interface()); err != nil {
			panic("fill: " + lit + ": " + err.Error())
		}
		return
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && od.Fields().Get(variant%od.Fields().Len()) != fd {
			continue
		}
		if fd.Message() != nil && depth >= fillDepth && fd.Cardinality() != protoreflect.Required {
			continue
		}
		switch {
		case fd.IsMap():
			fillMap(m, fd, variant, depth)
		case fd.IsList():
			list := m.Mutable(fd).List()
			for k := 0; k < 3; k++ {
				list.Append(fillValue(m, fd, variant+k, depth))
			}
		default:
			m.Set(fd, fillValue(m, fd, variant, depth))
		}
	}
}

func fillMap(m protoreflect.Message, fd protoreflect.FieldDescriptor, variant, depth int) {
	mp := m.Mutable(fd).Map()
	for k := 0; k < 2; k++ {
		key := scalarValue(fd.MapKey(), variant+k).MapKey()
		var value protoreflect.Value
		if fd.MapValue().Message() != nil {
			value = mp.NewValue()
			fill(value.Message(), variant+k, depth+1)
		} else {
			value = scalarValue(fd.MapValue(), variant+k)
		}
		mp.Set(key, value)
	}
}

// fillValue is one value of fd: a filled message or a scalar.
func fillValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, variant, depth int) protoreflect.Value {
	if fd.Message() == nil {
		return scalarValue(fd, variant)
	}
	var v protoreflect.Value
	if fd.IsList() {
		v = m.Mutable(fd).List().NewElement()
	} else {
		v = m.NewField(fd)
	}
	fill(v.Message(), variant, depth+1)
	return v
}

// scalarValue picks a value of fd's kind for variant, edge values first.
func scalarValue(fd protoreflect.FieldDescriptor, variant int) protoreflect.Value {
	pick := func(n int) int { return variant % n }
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(variant%2 == 0)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		return protoreflect.ValueOfEnum(values.Get(pick(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32([]int32{math.MaxInt32, math.MinInt32, -1, 7}[pick(4)])
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32([]uint32{math.MaxUint32, 1, 0, 7}[pick(4)])
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64([]int64{math.MaxInt64, math.MinInt64, -1, 1 << 53}[pick(4)])
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64([]uint64{math.MaxUint64, 1, 0, 1<<53 + 1}[pick(4)])
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32([]float32{float32(math.NaN()), float32(math.Inf(-1)), math.MaxFloat32,
			-math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Inf(1))}[pick(6)])
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{math.Inf(1), math.NaN(), -math.MaxFloat64,
			math.MaxFloat64, -math.SmallestNonzeroFloat64, math.Inf(-1)}[pick(6)])
	case protoreflect.StringKind:
		return protoreflect.ValueOfString([]string{"héllo \"quoted\" <&>\n", "", "\u2028\t\x00", "x"}[pick(4)])
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([][]byte{{}, {0xff, 0xfe, 0xfd}, {0}, {0xfb, 0xff}}[pick(4)])
	}
	panic("fill: kind " + fd.Kind().String())
}

// wellKnownLiteral is the protojson form of a well-known type with a JSON
// form of its own, for variant: its extremes and its odd cases (a null
// Value, an empty mask, an Any of a well-known and of an ordinary type).
func wellKnownLiteral(name protoreflect.FullName, variant int) (string, bool) {
	literals := map[protoreflect.FullName][]string{
		"google.protobuf.Timestamp": {`"9999-12-31T23:59:59.999999999Z"`, `"0001-01-01T00:00:00Z"`, `"1970-01-01T00:00:00.5Z"`},
		"google.protobuf.Duration":  {`"315576000000s"`, `"-315576000000s"`, `"-0.000000001s"`, `"0s"`},
		"google.protobuf.FieldMask": {`"fooBar,a.bC.d"`, `""`, `"x"`},
		"google.protobuf.Struct":    {`{"k":{"n":[1,2.5,"s"]},"e":null,"b":true}`, `{}`},
		"google.protobuf.ListValue": {`[1,"a",[],{},null,false]`, `[]`},
		"google.protobuf.Value": {`{"a":[1,"x",null,true,{"b":{}}]}`, `null`, `"text"`, `-1.5e300`,
			`[]`, `false`},
		"google.protobuf.Any": {`{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1.5s"}`,
			`{"@type":"type.googleapis.com/google.protobuf.FileDescriptorProto","name":"x.proto","dependency":["y"]}`,
			`{"@type":"type.googleapis.com/google.protobuf.Empty","value":{}}`},
		"google.protobuf.Empty": {`{}`},
	}
	lits, ok := literals[name]
	if !ok {
		return "", false
	}
	return lits[variant%len(lits)], true
}
