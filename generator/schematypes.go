package generator

import (
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The JSON forms of protobuf's scalar and well-known types, as protojson
// reads them. Where protojson is more lenient than its own output (32-bit
// integers in quotes, floats as decimal strings, "+1s", proto field names),
// the schema takes what protojson writes: an LLM needs one clear form, and
// every form the schema allows must decode.

// Patterns of the string forms. Decimal strings are checked for their
// digits, not their range: a 64-bit value with as many digits as the
// largest one but above it passes (the integer form has exact bounds).
const (
	int64Pattern  = `^-?(0|[1-9][0-9]{0,18})$`
	uint64Pattern = `^(0|[1-9][0-9]{0,19})$`
	int32Pattern  = `^-?(0|[1-9][0-9]{0,9})$`
	uint32Pattern = `^(0|[1-9][0-9]{0,9})$`
	// nonFinitePattern is how protojson writes NaN and the infinities.
	nonFinitePattern = `^(NaN|-?Infinity)$`
	// base64Pattern is standard or URL-safe base64 (never both alphabets at
	// once), padded or not: what protojson decodes bytes from.
	base64Pattern = `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$` +
		`|^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$`
	// timestampPattern is RFC 3339 with an upper-case T and Z, years 0001 to
	// 9999 and up to nine fractional digits (it does not know February 30).
	timestampPattern = `^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])` +
		`T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`
	// durationPattern is seconds with up to nine fractional digits and an
	// "s"; twelve digits hold the largest duration, 315576000000s.
	durationPattern = `^-?[0-9]{1,12}(\.[0-9]{1,9})?s$`
	// fieldMaskPattern is comma-separated paths of lowerCamelCase names.
	fieldMaskPathPattern = `[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*`
	fieldMaskPattern     = `^(` + fieldMaskPathPattern + `(,` + fieldMaskPathPattern + `)*)?$`
)

// maxFloat32JSON is the largest float protojson writes for a float field
// (math.MaxFloat32 in shortest form, a hair above the exact value): any
// number up to it decodes to a finite float32.
const maxFloat32JSON = 3.4028235e38

const nullValueEnum = "google.protobuf.NullValue"

// scalarSchema is the schema of one value of a scalar kind.
func scalarSchema(kind protoreflect.Kind) *object {
	switch kind {
	case protoreflect.BoolKind:
		return new(object).set("type", "boolean")
	case protoreflect.StringKind:
		return new(object).set("type", "string")
	case protoreflect.BytesKind:
		return new(object).set("type", "string").set("contentEncoding", "base64").set("pattern", base64Pattern)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return integerSchema(math.MinInt32, math.MaxInt32)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return integerSchema(0, math.MaxUint32)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		// protojson writes 64-bit integers as strings (JavaScript numbers
		// lose digits past 2^53) and reads either form.
		return integerSchema(math.MinInt64, math.MaxInt64).
			set("type", []string{"integer", "string"}).set("pattern", int64Pattern)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return new(object).set("type", []string{"integer", "string"}).
			set("minimum", 0).set("maximum", uint64(math.MaxUint64)).set("pattern", uint64Pattern)
	case protoreflect.FloatKind:
		return floatSchema(maxFloat32JSON)
	case protoreflect.DoubleKind:
		return floatSchema(math.MaxFloat64)
	}
	panic("generator: no JSON schema for kind " + kind.String())
}

func integerSchema(min, max int64) *object {
	return new(object).set("type", "integer").set("minimum", min).set("maximum", max)
}

// floatSchema is a number within ±max (protojson refuses one that does not
// fit the field) or one of the strings protojson writes for NaN and ±Inf.
func floatSchema(max float64) *object {
	return new(object).set("type", []string{"number", "string"}).
		set("minimum", -max).set("maximum", max).set("pattern", nonFinitePattern)
}

// mapKeySchema is the schema of a map's property names, which protojson
// writes as the key in decimal or as true/false; nil for string keys.
func mapKeySchema(kind protoreflect.Kind) *object {
	switch kind {
	case protoreflect.BoolKind:
		return new(object).set("enum", []any{"true", "false"})
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return new(object).set("pattern", int32Pattern)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return new(object).set("pattern", uint32Pattern)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return new(object).set("pattern", int64Pattern)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return new(object).set("pattern", uint64Pattern)
	default:
		return nil
	}
}

// wrapperKinds are the wrapper types, which protojson writes as their bare
// value.
var wrapperKinds = map[protoreflect.FullName]protoreflect.Kind{
	"google.protobuf.DoubleValue": protoreflect.DoubleKind,
	"google.protobuf.FloatValue":  protoreflect.FloatKind,
	"google.protobuf.Int64Value":  protoreflect.Int64Kind,
	"google.protobuf.UInt64Value": protoreflect.Uint64Kind,
	"google.protobuf.Int32Value":  protoreflect.Int32Kind,
	"google.protobuf.UInt32Value": protoreflect.Uint32Kind,
	"google.protobuf.BoolValue":   protoreflect.BoolKind,
	"google.protobuf.StringValue": protoreflect.StringKind,
	"google.protobuf.BytesValue":  protoreflect.BytesKind,
}

// wellKnownSchema is the schema of a well-known type protojson gives a JSON
// form of its own, or nil for any other message. Each call builds a new
// schema, so a use may add its own description.
func wellKnownSchema(md protoreflect.MessageDescriptor) *object {
	name := md.FullName()
	if kind, ok := wrapperKinds[name]; ok {
		return scalarSchema(kind)
	}
	switch name {
	case "google.protobuf.Timestamp":
		return new(object).
			set("description", `A date and time in RFC 3339 form, in UTC ("Z") or with an offset, such as "2025-01-31T09:30:00Z".`).
			set("type", "string").set("format", "date-time").set("pattern", timestampPattern)
	case "google.protobuf.Duration":
		return new(object).
			set("description", `A duration in seconds, with up to nine fractional digits, followed by "s", such as "1.5s".`).
			set("type", "string").set("pattern", durationPattern)
	case "google.protobuf.FieldMask":
		return new(object).
			set("description", `Field paths in lowerCamelCase, separated by commas, such as "displayName,address.city".`).
			set("type", "string").set("pattern", fieldMaskPattern)
	case "google.protobuf.Struct":
		return new(object).set("description", "Any JSON object.").set("type", "object")
	case "google.protobuf.ListValue":
		return new(object).set("description", "Any JSON array.").set("type", "array")
	case "google.protobuf.Value":
		return new(object).set("description", "Any JSON value.")
	case "google.protobuf.Empty":
		return new(object).set("type", "object").set("properties", new(object)).set("additionalProperties", false)
	case "google.protobuf.Any":
		return anySchema()
	}
	return nil
}

// anySchema is an Any: the packed message's JSON with "@type" added. What
// the rest holds depends on the type, which the handler must know. "@type"
// is not required: protojson writes an empty Any as {} and reads it back.
func anySchema() *object {
	typeURL := new(object).
		set("description", `The type URL of the message, such as "type.googleapis.com/google.protobuf.Duration".`).
		set("type", "string").set("minLength", 1)
	return new(object).
		set("description", `A message of any type the receiver knows: "@type" names it, and the other properties are its fields in JSON (or "value" for a well-known type with a JSON form of its own, such as a Timestamp).`).
		set("type", "object").
		set("properties", new(object).set("@type", typeURL))
}
