package codec

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The JSON codec's own encoder and decoder for the messages most methods
// carry: scalars, strings, bytes, enums, nested and repeated messages and
// google.protobuf.Timestamp. They write and read what protojson does (the
// same fields in the same order, the same spelling of every value: the
// TypeScript end reads the payload with protobuf-es fromJson), in a fraction
// of its time and allocations. Whatever else a message holds (maps, other
// well-known types, groups, extensions, proto2 required fields, a JSON
// null, an unknown field, a value in a spelling only protojson reads, …)
// makes them give up, and protojson does the whole message instead, errors
// included: they never accept what protojson refuses nor decode anything
// differently (fastjson_test.go checks both against protojson).

// maxFastDepth bounds the nesting the fast paths follow; deeper messages go
// to protojson and its own recursion limit.
const maxFastDepth = 64

const (
	timestampName protoreflect.FullName = "google.protobuf.Timestamp"
	nullValueName protoreflect.FullName = "google.protobuf.NullValue"
	wktPackage    protoreflect.FullName = "google.protobuf"

	// The range protojson allows a Timestamp: 0001-01-01T00:00:00Z to
	// 9999-12-31T23:59:59Z.
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// plainMessage reports whether the fast paths may handle a message of md
// as an object of its fields.
func plainMessage(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() != wktPackage && md.ExtensionRanges().Len() == 0 &&
		md.RequiredNumbers().Len() == 0 && md.Fields().Len() <= 64 && md.Oneofs().Len() <= 64
}

// messagePlan is what the fast paths need to know of a message type,
// worked out once per descriptor.
type messagePlan struct {
	md    protoreflect.MessageDescriptor
	plain bool     // plainMessage
	keys  []string // by field index: `"jsonName":` as protojson writes it
	// names are the JSON names by field index, for messages of up to
	// maxScannedFields fields (a scan beats the descriptor's map there).
	names []string
	// timestamps are the Timestamp fields of md's generated type, which
	// the fast paths reach in place (fastjson_inplace.go); nil for none.
	timestamps *timestampFields
}

const maxScannedFields = 8

// field is the field a JSON object names, by its JSON name or else its
// proto name, as protojson finds it.
func (p *messagePlan) field(fields protoreflect.FieldDescriptors, name string) protoreflect.FieldDescriptor {
	for i, n := range p.names {
		if n == name {
			return fields.Get(i)
		}
	}
	if p.names == nil {
		if fd := fields.ByJSONName(name); fd != nil {
			return fd
		}
	}
	return fields.ByTextName(name)
}

var (
	plans     sync.Map // protoreflect.MessageDescriptor → *messagePlan
	planCount atomic.Int32
)

// maxPlans bounds the plans kept: a program that makes descriptors without
// end (compiling .proto files at run time) works its plans out each time
// beyond it rather than growing the cache.
const maxPlans = 4096

// planSlots is a direct-mapped cache in front of plans, by the address
// of the descriptor: a hit costs a load and a comparison where sync.Map
// hashes the interface.
var planSlots [64]atomic.Pointer[messagePlan]

func planOf(md protoreflect.MessageDescriptor) *messagePlan {
	slot := &planSlots[(*[2]uintptr)(unsafe.Pointer(&md))[1]>>4%uintptr(len(planSlots))]
	if p := slot.Load(); p != nil && p.md == md {
		return p
	}
	p := loadPlan(md)
	slot.Store(p)
	return p
}

func loadPlan(md protoreflect.MessageDescriptor) *messagePlan {
	if p, ok := plans.Load(md); ok {
		return p.(*messagePlan)
	}
	fields := md.Fields()
	p := &messagePlan{md: md, plain: plainMessage(md), keys: make([]string, fields.Len()), timestamps: newTimestampFields(md)}
	if len(p.keys) <= maxScannedFields {
		p.names = make([]string, len(p.keys))
		for i := range p.names {
			p.names[i] = fields.Get(i).JSONName()
		}
	}
	for i := range p.keys {
		key, ok := appendJSONString(nil, fields.Get(i).JSONName())
		p.plain = p.plain && ok
		p.keys[i] = string(append(key, ':'))
	}
	if planCount.Load() < maxPlans {
		if v, loaded := plans.LoadOrStore(md, p); loaded {
			return v.(*messagePlan)
		}
		planCount.Add(1)
	}
	return p
}
