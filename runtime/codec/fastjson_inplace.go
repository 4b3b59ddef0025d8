package codec

import (
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Timestamp fields read and written in place.
//
// protobuf-go's reflection reads a message field by wrapping the pointer
// the struct holds in a reflect.Value and then a protoreflect.Message
// (Get), and writes one by unwrapping it again (Set); getting the
// *timestamppb.Timestamp back out of such a Message costs as much again
// (Interface). For a reply like {"time":"…"} that was over half of the fast
// paths' work (bench row 5). A generated message of the open struct API,
// protoc-gen-go's default, keeps a singular Timestamp field in an exported
// *timestamppb.Timestamp, which is its public API (m.Time = ts). So in the
// message Marshal and Unmarshal are handed (those nested in it are only
// reached through reflection, and keep that path), the fast paths read and
// write such a field where the struct keeps it: found once per message type
// by reflection over the Go struct, and trusted only after protoreflect has
// agreed with it on a fresh message.

// timestampFields is where a generated message type keeps its singular
// Timestamp fields.
type timestampFields struct {
	typ reflect.Type // the generated type, *T
	// offsets are by field index: 1 + the field's offset in T, 0 for a
	// field that is not one of them.
	offsets []uintptr
}

var timestampPointer = reflect.TypeFor[*timestamppb.Timestamp]()

// newTimestampFields finds md's Timestamp fields in the generated type
// registered for it; nil when there is none or it has no such field.
func newTimestampFields(md protoreflect.MessageDescriptor) *timestampFields {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil || mt.Descriptor() != md {
		return nil // a dynamic message, or one from another registry
	}
	typ := reflect.TypeOf(mt.Zero().Interface())
	if typ.Kind() != reflect.Pointer || typ.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := &timestampFields{typ: typ, offsets: make([]uintptr, md.Fields().Len())}
	found := false
	for i := range typ.Elem().NumField() {
		sf := typ.Elem().Field(i)
		fd := structField(md, sf)
		if fd == nil || sf.Type != timestampPointer || fd.Message() != timestampDescriptor ||
			fd.Cardinality() == protoreflect.Repeated || (fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic()) || !agrees(typ, fd, sf.Offset) {
			continue
		}
		f.offsets[fd.Index()] = sf.Offset + 1
		found = true
	}
	if !found {
		return nil
	}
	return f
}

// structField is the field of md that the generated struct field sf holds,
// by the number in its protobuf tag ("bytes,1,opt,name=time,proto3");
// nil for anything else (unexported fields, and a oneof's interface,
// whose tag is protobuf_oneof).
func structField(md protoreflect.MessageDescriptor, sf reflect.StructField) protoreflect.FieldDescriptor {
	if !sf.IsExported() {
		return nil
	}
	parts := strings.Split(sf.Tag.Get("protobuf"), ",")
	if len(parts) < 2 {
		return nil
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return nil
	}
	return md.Fields().ByNumber(protoreflect.FieldNumber(n))
}

// agrees reports whether protoreflect sees a Timestamp stored at offset in
// a fresh *T as fd's value, and clearing fd as nil there.
func agrees(typ reflect.Type, fd protoreflect.FieldDescriptor, offset uintptr) bool {
	v := reflect.New(typ.Elem())
	m, ok := v.Interface().(proto.Message)
	if !ok {
		return false
	}
	pm := m.ProtoReflect()
	slot := (**timestamppb.Timestamp)(unsafe.Add(v.UnsafePointer(), offset))
	ts := &timestamppb.Timestamp{Seconds: 1}
	*slot = ts
	if !pm.Has(fd) || pm.Get(fd).Message().Interface() != ts {
		return false
	}
	pm.Clear(fd)
	return *slot == nil
}

// at is m's address when m is of f's type, for field; nil otherwise (f nil,
// another type, or a nil *T).
func (f *timestampFields) at(m proto.Message) unsafe.Pointer {
	if f == nil || reflect.TypeOf(m) != f.typ {
		return nil
	}
	// An interface holding a pointer holds it as its data word: the *T
	// itself (what reflect.ValueOf(m).UnsafePointer() returns, in a call
	// that cost as much as the rest of at).
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&m))[1]
}

// field is Timestamp field i of the message at; nil when i is not one or
// at is nil (the message is not of f's type, or f is nil).
func (f *timestampFields) field(at unsafe.Pointer, i int) **timestamppb.Timestamp {
	if at == nil || f.offsets[i] == 0 {
		return nil
	}
	return (**timestamppb.Timestamp)(unsafe.Add(at, f.offsets[i]-1))
}
