package generator

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

// instanceCase is one request payload with what the schema and the codec
// are expected to make of it.
type instanceCase struct {
	tool, payload  string
	schema, decode bool // accepted by the schema, by lkrpc's JSON codec
}

// instanceCases are payloads for the tools of testdata/schema. Most are
// accepted or refused by both; "stricter" rows are forms the codec takes
// that the schema leaves out on purpose (README: Tool descriptions for
// agents), and "looser" rows are what JSON Schema cannot say, kept here so
// that the README's list of limits stays true.
var instanceCases = []instanceCase{
	// Scalars: bounds, number forms, the strings of non-finite floats.
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": 2147483647, "fUint32": 4294967295, "fSint32": -2147483648}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": 2147483648}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fSfixed32": -2147483649}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fUint32": -1}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fFixed32": 4294967296}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": 1.5}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": 1.0, "fUint32": 1e2}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": "-9223372036854775808", "fUint64": 18446744073709551615}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": 9223372036854775808}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fSint64": -9223372036854775809}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fUint64": -1}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fUint64": "-1"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fFixed64": 18446744073709551616}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": "12x"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": "+5"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fFloat": 3.4028235e38, "fDouble": -1.7976931348623157e308}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fFloat": 1e39}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fDouble": 1e400}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fDouble": "NaN", "fFloat": "-Infinity"}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fDouble": "nan"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fBool": "true"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fBool": 1}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fString": 5}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fString": null, "fInt32": null, "color": null}`, true, true},
	// Bytes: either base64 alphabet, padded or not, never both alphabets.
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": ""}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "//79"}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "-_8"}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "AA=="}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "+_8a"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "a"}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "ab="}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fBytes": "a b"}`, false, false},
	// Enums: names and defined numbers.
	{"kinds.v1.Kinds/PutScalars", `{"color": "COLOR_BLUE"}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"color": 2}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"color": true}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"color": 1.5}`, false, false},
	// Names: JSON names only (json_name honoured), nothing else.
	{"kinds.v1.Kinds/PutScalars", `{"otherName": "x"}`, true, true},
	{"kinds.v1.Kinds/PutScalars", `{"otherName": 1}`, false, false},
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": 1, "f_int32": 2}`, false, false}, // duplicate field
	// The request itself is an object.
	{"kinds.v1.Kinds/PutScalars", `null`, false, false},
	{"kinds.v1.Kinds/PutScalars", `[]`, false, false},
	{"kinds.v1.Kinds/Nothing", `{}`, true, true},
	{"kinds.v1.Kinds/Stamp", `"2025-01-31T09:30:00Z"`, true, true},
	{"kinds.v1.Kinds/Stamp", `{}`, false, false},

	// Collections: arrays, maps by key kind, null only where it means unset.
	{"kinds.v1.Kinds/PutCollections", `{"int32s": null, "byString": null, "inners": null}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"int32s": [null]}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"inners": [null]}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"int32s": 5}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byString": []}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byString": {"a": null}}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"-5": {}, "0": {"label": "x"}}}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"x": {}}}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"1.5": {}}}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byUint64": {"-1": 1}}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byUint64": {"18446744073709551615": "COLOR_RED"}}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"byBool": {"true": "a", "false": "b"}}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"byBool": {"yes": "a"}}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byInt64": {"-9223372036854775808": 1}}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"values": [null, 1, "a", {}, []], "byValue": {"a": null}}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"values": null}`, false, false}, // repeated Value: null is refused
	{"kinds.v1.Kinds/PutCollections", `{"nulls": [null, "NULL_VALUE", 0]}`, true, true},
	{"kinds.v1.Kinds/PutCollections", `{"nulls": null}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byDuration": {"a": "1s", "b": "-0.5s"}}`, true, true},

	// Well-known types in their own JSON forms.
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "2020-01-01T00:00:00+01:00", "wait": "1.5s", "mask": "fooBar,a.b"}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "yesterday"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "2020-01-01t00:00:00z"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "2020-01-01T00:00:00.1234567891Z"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "0000-01-01T00:00:00Z"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": 0}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"wait": "1h"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"wait": 1}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"mask": "foo_bar"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"mask": "a, b"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"mask": ""}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"struct": {"a": [1, null]}, "list": [{}, 2], "value": null, "null": null}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"struct": []}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"list": {}}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"null": "NULL_VALUE"}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"empty": {}, "wInt64": "5", "wBytes": "AA", "wFloat": "Infinity"}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"wInt32": "x"}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"wBool": {"value": true}}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "2s"}}`, true, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"any": {}}`, true, true}, // protojson's empty Any
	{"kinds.v1.Kinds/PutWellKnown", `{"any": {"@type": ""}}`, false, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"any": "2s"}`, false, false},

	// Oneofs: at most one member set; null does not count, except for Value.
	{"choose", `{"name": "a", "fast": true}`, true, true},
	{"choose", `{"name": "a", "id": 1}`, false, false},
	{"choose", `{"inner": {}, "anything": 1}`, false, false},
	{"choose", `{"name": "a", "id": null, "inner": null}`, true, true},
	{"choose", `{"name": "a", "anything": null}`, false, false}, // a null Value is set
	{"choose", `{"anything": null}`, true, true},
	{"choose", `{"fast": false, "color": "COLOR_RED"}`, false, false},
	{"choose", `{"fast": null, "color": "COLOR_RED", "limit": 0, "extra": null}`, true, true},

	// proto2 and editions: required fields, groups, closed enums.
	{"legacy.v1.Legacy/Submit", `{"title": "t", "level": "TOP", "extra": {"flag": false}}`, true, true},
	{"legacy.v1.Legacy/Submit", `{"level": "LOW"}`, false, false},
	{"legacy.v1.Legacy/Submit", `{"title": null, "level": "LOW"}`, false, false},
	{"legacy.v1.Legacy/Submit", `{"title": "t", "level": "LOW", "extra": {}}`, false, false},
	{"legacy.v1.Legacy/Submit", `{"title": "t", "level": "LOW", "parts": [{}]}`, false, false},
	{"legacy.v1.Legacy/Submit", `{"title": "t", "level": 0}`, false, true}, // stricter: numbers outside the enum
	{"ed.v1.Desk/File", `{"id": "x", "body": {"text": "t"}, "status": "STATUS_DONE"}`, true, true},
	{"ed.v1.Desk/File", `{"note": "x"}`, false, false},

	// Stricter than the codec, on purpose.
	{"kinds.v1.Kinds/PutScalars", `{"fInt32": "12"}`, false, true},         // quoted 32-bit integer
	{"kinds.v1.Kinds/PutScalars", `{"fDouble": "1.5"}`, false, true},       // quoted float
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": "1e2"}`, false, true},        // exponent in a decimal string
	{"kinds.v1.Kinds/PutScalars", `{"color": 7}`, false, true},             // undefined enum number
	{"kinds.v1.Kinds/PutScalars", `{"color": "COLOR_GREEN"}`, false, true}, // unknown name: the codec drops it
	{"kinds.v1.Kinds/PutScalars", `{"zzz": 1}`, false, true},               // unknown field: the codec drops it
	{"kinds.v1.Kinds/PutScalars", `{"f_int32": 1}`, false, true},           // proto name
	{"kinds.v1.Kinds/PutScalars", `{"renamed": "x"}`, false, true},         // proto name of otherName
	{"kinds.v1.Kinds/PutWellKnown", `{"empty": {"a": 1}}`, false, true},    // unknown field of Empty
	{"kinds.v1.Kinds/PutWellKnown", `{"null": 1}`, false, true},            // NullValue is an open enum
	{"kinds.v1.Kinds/PutWellKnown", `{"wait": "+1s"}`, false, true},
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "2020-01-01T00:00:00.Z"}`, false, false},
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"+5": {}}}`, false, true},
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"007": {}}}`, false, true},
	{"choose", `{"name": null, "id": 1, "limit": "3"}`, false, true},

	// Looser than the codec: what JSON Schema (or a pattern short enough to
	// hand an LLM) cannot say. Listed in README.md.
	{"kinds.v1.Kinds/PutScalars", `{"fInt64": "9999999999999999999"}`, true, false},                  // range of a decimal string
	{"kinds.v1.Kinds/PutCollections", `{"byInt32": {"9999999999": {}}}`, true, false},                // range of an integer key
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "2021-02-30T00:00:00Z"}`, true, false},                   // calendar
	{"kinds.v1.Kinds/PutWellKnown", `{"at": "0001-01-01T00:00:00+01:00"}`, true, false},              // range after the offset
	{"kinds.v1.Kinds/PutWellKnown", `{"wait": "315576000001s"}`, true, false},                        // range of a duration
	{"kinds.v1.Kinds/PutWellKnown", `{"any": {"@type": "type.googleapis.com/x.Nope"}}`, true, false}, // the packed type
	{"kinds.v1.Kinds/PutWellKnown", `{"any": {"@type": "type.googleapis.com/google.protobuf.Duration"}}`, true, false},
	{"kinds.v1.Kinds/PutWellKnown", `{"value": 1e400}`, true, false},    // a Value's numbers
	{"kinds.v1.Kinds/PutScalars", `{"fString": "\ud800"}`, true, false}, // lone surrogate
}

// TestSchemaInstances checks each instance case against the schema and the
// codec.
func TestSchemaInstances(t *testing.T) {
	tools := toolsByWireName(t)
	for _, c := range instanceCases {
		tl, ok := tools[c.tool]
		if !ok {
			t.Fatalf("no tool %q", c.tool)
		}
		if got := validates(t, tl.schema, c.payload) == nil; got != c.schema {
			t.Errorf("%s %s: schema accepts = %v, want %v", c.tool, c.payload, got, c.schema)
		}
		if err := decodes(tl.request, c.payload); (err == nil) != c.decode {
			t.Errorf("%s %s: codec accepts = %v (%v), want %v", c.tool, c.payload, err == nil, err, c.decode)
		}
	}
}

func toolsByWireName(t *testing.T) map[string]tool {
	byName := make(map[string]tool)
	for _, tl := range loadTools(t, "schema", "") {
		byName[tl.wire] = tl
	}
	return byName
}

// TestSchemaSoundUnderMutation edits valid requests at random (a value
// replaced by one of many of the wrong or edge kind, a property added or
// removed) and asserts that whatever the schema still accepts, the codec
// decodes: the schema is never looser than the codec on these inputs.
func TestSchemaSoundUnderMutation(t *testing.T) {
	mutations := *schemaMutations
	rng := rand.New(rand.NewSource(1))
	for _, tl := range schemaCases(t) {
		var accepted, refused int
		names := propertyNames(t, tl)
		for variant := 0; variant < fillVariants; variant++ {
			m := tl.request.New()
			fill(m, variant, 0)
			payload, err := codec.JSON.Marshal(m.Interface())
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < mutations/fillVariants; i++ {
				mutated := mutate(t, rng, payload, names)
				if validates(t, tl.schema, mutated) != nil {
					refused++
					continue
				}
				accepted++
				if err := decodes(tl.request, mutated); err != nil {
					t.Errorf("%s: the schema accepts what the codec refuses (%v):\n%s", tl.name, err, mutated)
				}
			}
		}
		t.Logf("%s: %d mutations accepted by both, %d refused by the schema", tl.name, accepted, refused)
	}
}

var schemaMutations = flag.Int("schema-mutations", 400, "random edits per request type in TestSchemaSoundUnderMutation")

// mutationValues are what a mutation puts in place of a value: wrong kinds,
// bounds just outside each integer kind, strings of every special form.
var mutationValues = []string{
	`null`, `true`, `false`, `0`, `-1`, `1.5`, `1.0`, `1e2`, `2147483648`, `-2147483649`, `4294967296`,
	`9223372036854775808`, `-9223372036854775809`, `18446744073709551616`, `1e39`,
	`""`, `"x"`, `"NaN"`, `"Infinity"`, `"-Infinity"`, `"nan"`, `"1"`, `"-1"`, `"1.5"`, `"-0"`,
	`"AAAA"`, `"AA=="`, `"A"`, `"-_"`, `"+_"`, `"COLOR_BLUE"`, `"LOW"`, `"STATUS_DONE"`, `"NULL_VALUE"`,
	`1`, `2`, `99`, `"2020-01-01T00:00:00Z"`, `"1s"`, `"1h"`, `"fooBar"`, `"foo_bar"`, `"true"`,
	`[]`, `{}`, `[1]`, `["x"]`, `[null]`, `{"a": 1}`, `{"1": "x"}`, `{"true": 1}`,
	`{"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"}`,
}

// mutate applies one random edit to payload: replace a value somewhere, or
// add a property (a known one or not) to some object, or remove one.
func mutate(t *testing.T, rng *rand.Rand, payload string, names []string) string {
	t.Helper()
	doc := decodeJSON(t, payload)
	var objects []map[string]any
	var slots []func(any)
	collectSlots(doc, func(v any) { doc = v }, &objects, &slots)
	value := decodeJSON(t, mutationValues[rng.Intn(len(mutationValues))])
	switch op := rng.Intn(4); {
	case op < 2 || len(objects) == 0:
		slots[rng.Intn(len(slots))](value)
	case op == 2:
		key := "zzz"
		if len(names) > 0 && rng.Intn(4) > 0 {
			key = names[rng.Intn(len(names))]
		}
		objects[rng.Intn(len(objects))][key] = value
	default:
		obj := objects[rng.Intn(len(objects))]
		if keys := sortedKeys(obj); len(keys) > 0 {
			delete(obj, keys[rng.Intn(len(keys))])
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// collectSlots lists every place in v a value can be put, and every object.
// Any's contents are left alone: what they may hold depends on the packed
// type, which the schema does not know (a documented limit).
func collectSlots(v any, set func(any), objects *[]map[string]any, slots *[]func(any)) {
	*slots = append(*slots, set)
	switch v := v.(type) {
	case map[string]any:
		if _, isAny := v["@type"]; isAny {
			return
		}
		*objects = append(*objects, v)
		for _, k := range sortedKeys(v) {
			collectSlots(v[k], func(x any) { v[k] = x }, objects, slots)
		}
	case []any:
		for i, child := range v {
			collectSlots(child, func(x any) { v[i] = x }, objects, slots)
		}
	}
}

// sortedKeys keeps the edits the same from run to run.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // keep 64-bit integers and 1e400 as written
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// propertyNames are every property name a tool's schema declares, so that
// mutations add oneof siblings and fields of the wrong message.
func propertyNames(t *testing.T, tl tool) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name := range props {
					seen[name] = true
				}
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(tl.raw)
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
