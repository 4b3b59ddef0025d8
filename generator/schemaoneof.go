package generator

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
)

// A oneof in JSON is a set of ordinary properties of which protojson takes
// at most one: a second member that is not null fails the decode ("oneof is
// already set"), while a member given as null counts as absent. The schema
// says the same with, for each pair of members, "not both present and
// non-null" (a Value member is set even by null). That grows with the
// square of the members, which is fine for oneofs of a handful; a sentence
// in the message's description says it in words for the LLM.

// choiceOneofs are msg's oneofs that constrain anything: proto3 optional
// fields have synthetic oneofs of one member, which need nothing.
func choiceOneofs(msg *protogen.Message) []*protogen.Oneof {
	var out []*protogen.Oneof
	for _, o := range msg.Oneofs {
		if !o.Desc.IsSynthetic() && len(o.Fields) > 1 {
			out = append(out, o)
		}
	}
	return out
}

// oneofNote is the sentence per oneof that tells a reader of msg's
// description which properties exclude each other.
func oneofNote(msg *protogen.Message) string {
	var lines []string
	for _, o := range choiceOneofs(msg) {
		names := make([]string, len(o.Fields))
		for i, f := range o.Fields {
			names[i] = fmt.Sprintf("%q", f.Desc.JSONName())
		}
		lines = append(lines, fmt.Sprintf("At most one of %s may be set (oneof %s).", strings.Join(names, ", "), o.Desc.Name()))
	}
	return strings.Join(lines, "\n")
}

// addOneofConstraints adds to o the "not" (one oneof) or "allOf" of "not"s
// (several) that refuse two members of a oneof set at once.
func addOneofConstraints(o *object, msg *protogen.Message) {
	var nots []any
	for _, oneof := range choiceOneofs(msg) {
		var pairs []any
		for i, a := range oneof.Fields {
			for _, b := range oneof.Fields[i+1:] {
				pairs = append(pairs, bothSet(a, b))
			}
		}
		if len(pairs) == 1 {
			nots = append(nots, new(object).set("not", pairs[0]))
		} else {
			nots = append(nots, new(object).set("not", new(object).set("anyOf", pairs)))
		}
	}
	switch len(nots) {
	case 0:
	case 1:
		v, _ := nots[0].(*object).get("not")
		o.set("not", v)
	default:
		o.set("allOf", nots)
	}
}

// bothSet matches an object in which members a and b both count as set.
func bothSet(a, b *protogen.Field) *object {
	s := new(object).set("required", []string{a.Desc.JSONName(), b.Desc.JSONName()})
	props := new(object)
	for _, f := range []*protogen.Field{a, b} {
		if !nullIsValue(f.Desc) {
			props.set(f.Desc.JSONName(), new(object).set("not", new(object).set("type", "null")))
		}
	}
	if len(props.members) > 0 {
		s.set("properties", props)
	}
	return s
}
