package generator

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// schemaDialect is the JSON Schema draft every inputSchema declares.
const schemaDialect = "https://json-schema.org/draft/2020-12/schema"

// defsPrefix is where a schema's message definitions live; each is keyed by
// the message's full name, which needs no JSON Pointer escaping.
const defsPrefix = "#/$defs/"

// The schemas describe a request as lkrpc's JSON codec reads it: protojson
// with unknown fields discarded. Where JSON Schema cannot say exactly what
// protojson accepts, the schema is stricter (it accepts a subset), so that
// whatever validates is a request the handler decodes; the few places where
// it is looser are listed in README.md ("Tool descriptions for agents").

// schemaBuilder builds one self-contained schema: the request message at the
// root and every message it reaches in $defs.
type schemaBuilder struct {
	root protoreflect.FullName
	// defs holds each message definition; a message being built is present
	// with a nil value, so a recursive reference stops there.
	defs map[protoreflect.FullName]*object
}

// requestSchema is the inputSchema of a method whose request is msg.
func requestSchema(msg *protogen.Message) *object {
	b := &schemaBuilder{root: msg.Desc.FullName(), defs: make(map[protoreflect.FullName]*object)}
	s := new(object).set("$schema", schemaDialect)
	for _, m := range b.messageSchema(msg).members {
		s.set(m.key, m.value)
	}
	if len(b.defs) > 0 {
		s.set("$defs", b.sortedDefs())
	}
	return s
}

// sortedDefs orders the definitions by name, so output does not depend on
// the order fields are visited in.
func (b *schemaBuilder) sortedDefs() *object {
	names := make([]string, 0, len(b.defs))
	for name := range b.defs {
		names = append(names, string(name))
	}
	sort.Strings(names)
	defs := new(object)
	for _, name := range names {
		defs.set(name, b.defs[protoreflect.FullName(name)])
	}
	return defs
}

// messageSchema is the schema of a message's JSON form: a well-known type's
// special form, else an object of its fields by JSON name.
func (b *schemaBuilder) messageSchema(msg *protogen.Message) *object {
	if s := wellKnownSchema(msg.Desc); s != nil {
		return s
	}
	o := new(object)
	describe(o, protoDoc(msg.Comments), oneofNote(msg))
	o.set("type", "object")
	if opts, _ := msg.Desc.Options().(*descriptorpb.MessageOptions); opts.GetDeprecated() {
		o.set("deprecated", true)
	}
	props := new(object)
	var required []string
	for _, f := range msg.Fields {
		props.set(f.Desc.JSONName(), b.fieldSchema(f))
		if f.Desc.Cardinality() == protoreflect.Required {
			required = append(required, f.Desc.JSONName())
		}
	}
	o.set("properties", props)
	if len(required) > 0 {
		o.set("required", required)
	}
	// protojson would skip unknown names (the codec discards them) and reads
	// a field by its proto name too; the schema takes only the JSON names, so
	// a misspelt field fails validation instead of vanishing, and a field
	// written under its proto name is never checked against nothing.
	o.set("additionalProperties", false)
	addOneofConstraints(o, msg)
	return o
}

// messageRef is the schema of a message-typed value: a well-known type's
// form inline, else a reference to the message's definition, built on first
// use ("#" for the request itself, which is the root).
func (b *schemaBuilder) messageRef(msg *protogen.Message) *object {
	if s := wellKnownSchema(msg.Desc); s != nil {
		return s
	}
	name := msg.Desc.FullName()
	if name == b.root {
		return new(object).set("$ref", "#")
	}
	if _, seen := b.defs[name]; !seen {
		b.defs[name] = nil
		b.defs[name] = b.messageSchema(msg)
	}
	return new(object).set("$ref", defsPrefix+string(name))
}

// fieldSchema is the schema of one property: the value, a list of values or
// a map, with the field's comment, and null where protojson reads null as
// "not set".
func (b *schemaBuilder) fieldSchema(f *protogen.Field) *object {
	var s *object
	switch {
	case f.Desc.IsMap():
		s = b.mapSchema(f)
	case f.Desc.IsList():
		s = new(object).set("type", "array").set("items", b.valueSchema(f))
	default:
		s = b.valueSchema(f)
	}
	if nullMeansUnset(f.Desc) {
		s = nullable(s)
	}
	describe(s, protoDoc(f.Comments))
	if opts, _ := f.Desc.Options().(*descriptorpb.FieldOptions); opts.GetDeprecated() {
		s.set("deprecated", true)
	}
	return s
}

// nullMeansUnset reports whether protojson takes null for fd as "not set":
// it does for every field but a required one (which must then be set), and
// a Value or NullValue field, where null is a value (a singular one's
// schema has null already; a repeated one refuses null).
func nullMeansUnset(fd protoreflect.FieldDescriptor) bool {
	if fd.Cardinality() == protoreflect.Required {
		return false
	}
	if fd.IsMap() {
		return true
	}
	return !nullIsValue(fd)
}

// nullIsValue reports a field whose elements are google.protobuf.Value or
// NullValue, for which protojson reads null as a value.
func nullIsValue(fd protoreflect.FieldDescriptor) bool {
	if md := fd.Message(); md != nil {
		return md.FullName() == "google.protobuf.Value"
	}
	if ed := fd.Enum(); ed != nil {
		return ed.FullName() == nullValueEnum
	}
	return false
}

// valueSchema is the schema of one value of f: a singular field's, or one
// element of a repeated field.
func (b *schemaBuilder) valueSchema(f *protogen.Field) *object {
	switch f.Desc.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return b.messageRef(f.Message)
	case protoreflect.EnumKind:
		return enumSchema(f.Enum)
	default:
		return scalarSchema(f.Desc.Kind())
	}
}

// mapSchema is an object whose property names are the keys as protojson
// writes them (decimal integers, true/false, any string) and whose values
// are the map's values, which may not be null.
func (b *schemaBuilder) mapSchema(f *protogen.Field) *object {
	key, value := f.Message.Fields[0], f.Message.Fields[1]
	s := new(object).set("type", "object")
	if names := mapKeySchema(key.Desc.Kind()); names != nil {
		s.set("propertyNames", names)
	}
	return s.set("additionalProperties", b.valueSchema(value))
}

// nullable lets s be null as well: in its type list, its enum, or beside it.
func nullable(s *object) *object {
	if t, ok := s.get("type"); ok {
		types, isList := t.([]string)
		if !isList {
			types = []string{t.(string)}
		}
		return s.clone().set("type", append(append([]string(nil), types...), "null"))
	}
	if e, ok := s.get("enum"); ok {
		return s.clone().set("enum", append(append([]any(nil), e.([]any)...), nil))
	}
	return new(object).set("anyOf", []any{s, new(object).set("type", "null")})
}

// enumSchema lists an enum's value names, which protojson writes, and their
// numbers, which it also reads (it reads any int32, but the defined numbers
// are what a caller means). The description lists the values' comments.
func enumSchema(e *protogen.Enum) *object {
	var names, numbers []any
	seen := make(map[protoreflect.EnumNumber]bool)
	var docs []string
	for _, v := range e.Values {
		names = append(names, string(v.Desc.Name()))
		if !seen[v.Desc.Number()] {
			seen[v.Desc.Number()] = true
			numbers = append(numbers, int32(v.Desc.Number()))
		}
		if doc := protoDoc(v.Comments); doc != "" {
			docs = append(docs, string(v.Desc.Name())+": "+doc)
		}
	}
	if e.Desc.FullName() == nullValueEnum {
		names = append(names, nil) // protojson writes NullValue as null
	}
	s := new(object)
	describe(s, protoDoc(e.Comments), strings.Join(docs, "\n"))
	return s.set("enum", append(names, numbers...))
}
