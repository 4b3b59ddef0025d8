package generator

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lkrpc/lkrpc/runtime/codec"
)

// The tool descriptions are checked against what they describe: every
// request message of the test protos, filled and encoded by lkrpc's JSON
// codec, must validate (the schema is complete), and what the codec refuses
// must not (it is sound). The generator itself never imports the runtime;
// its tests use the codec so that "what lkrpc reads" is the codec's own
// protojson options, not a copy of them.

// tool is one method's tool definition, with what the tests need beside it.
type tool struct {
	name    string // "<case>: <wire name>", for messages
	wire    string
	schema  *jsonschema.Schema
	raw     any // the inputSchema as parsed JSON
	request protoreflect.MessageType
}

// loadTools generates the tool descriptions of a testdata directory with
// json_schema=true and compiles each inputSchema (which checks it against
// the 2020-12 meta-schema). Request types are dynamic messages of the same
// descriptors, so no generated Go is needed.
func loadTools(t *testing.T, name, param string) []tool {
	t.Helper()
	req := compileRequest(t, filepath.Join("testdata", name), strings.TrimPrefix(param+","+ParamJSONSchema+"=true", ","))
	run := runPlugin(t, req, false)
	if run.err != "" {
		t.Fatalf("%s: generation failed: %s", name, run.err)
	}
	files, err := protodesc.NewFiles(&descriptorpb.FileDescriptorSet{File: req.GetProtoFile()})
	if err != nil {
		t.Fatal(err)
	}
	types := dynamicpb.NewTypes(files)
	var goCode strings.Builder
	for fileName, content := range run.files {
		if strings.HasSuffix(fileName, FileSuffix) {
			goCode.WriteString(content)
		}
	}
	var tools []tool
	for fileName, content := range run.files {
		if strings.HasSuffix(fileName, ToolsSuffix) {
			tools = append(tools, parseTools(t, name+"/"+fileName, content, goCode.String(), files, types)...)
		}
	}
	return tools
}

// toolsFile is the shape of a tool description file.
type toolsFile struct {
	Comment     string `json:"$comment"`
	Service     string `json:"service"`
	Description string `json:"description"`
	Tools       []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"inputSchema"`
	} `json:"tools"`
}

func parseTools(t *testing.T, where, content, goCode string, files interface {
	FindDescriptorByName(protoreflect.FullName) (protoreflect.Descriptor, error)
}, types *dynamicpb.Types) []tool {
	t.Helper()
	var doc toolsFile
	dec := json.NewDecoder(strings.NewReader(content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(doc.Service))
	if err != nil {
		t.Fatalf("%s: service %q: %v", where, doc.Service, err)
	}
	// One tool per unary method, in order; streaming methods have none.
	var methods []protoreflect.MethodDescriptor
	all := d.(protoreflect.ServiceDescriptor).Methods()
	for i := 0; i < all.Len(); i++ {
		if m := all.Get(i); !m.IsStreamingServer() && !m.IsStreamingClient() {
			methods = append(methods, m)
		}
	}
	if len(doc.Tools) != len(methods) {
		t.Fatalf("%s: %d tools for %d unary methods", where, len(doc.Tools), len(methods))
	}
	var tools []tool
	for i, entry := range doc.Tools {
		// The name is the wire name the Go constant holds.
		constant := regexp.MustCompile(`(?m)^\s+\w+Method_*\s+= ` + regexp.QuoteMeta(strconv.Quote(entry.Name)) + `$`)
		if !constant.MatchString(goCode) {
			t.Errorf("%s: tool %q is not the wire name of a Go constant", where, entry.Name)
		}
		mt, err := types.FindMessageByName(methods[i].Input().FullName())
		if err != nil {
			t.Fatal(err)
		}
		sch, raw := compileSchema(t, where+"#"+entry.Name, entry.InputSchema)
		tools = append(tools, tool{name: where + ": " + entry.Name, wire: entry.Name, schema: sch, raw: raw, request: mt})
	}
	return tools
}

// compileSchema compiles one inputSchema on its own, as an LLM API gets it.
func compileSchema(t *testing.T, where string, raw []byte) (*jsonschema.Schema, any) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if m, _ := doc.(map[string]any); m["$schema"] != schemaDialect {
		t.Errorf("%s: $schema is %v, want %s", where, m["$schema"], schemaDialect)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("inputSchema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("inputSchema.json")
	if err != nil {
		t.Fatalf("%s: does not compile against the 2020-12 meta-schema: %v", where, err)
	}
	return sch, doc
}

// validates reports whether the schema accepts payload.
func validates(t *testing.T, sch *jsonschema.Schema, payload string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(payload))
	if err != nil {
		t.Fatalf("instance %s: %v", payload, err)
	}
	return sch.Validate(inst)
}

// decodes reports whether lkrpc's JSON codec accepts payload as mt.
func decodes(mt protoreflect.MessageType, payload string) error {
	return codec.JSON.Unmarshal(payload, mt.New().Interface())
}

// schemaCases are the testdata directories the schema tests read: every
// golden case, so every request message of the test protos is covered.
func schemaCases(t *testing.T) []tool {
	var tools []tool
	for _, tc := range goldenCases {
		param := strings.ReplaceAll(tc.param, ParamJSONSchema+"=true", "")
		tools = append(tools, loadTools(t, tc.name, strings.Trim(param, ","))...)
	}
	return tools
}

// TestSchemasAcceptEncodedRequests fills every request message of the test
// protos in each variant, encodes it as the codec does (and as a client that
// writes every field does, with nulls and empty lists), and validates it.
func TestSchemasAcceptEncodedRequests(t *testing.T) {
	emitAll := protojson.MarshalOptions{EmitUnpopulated: true}
	for _, tl := range schemaCases(t) {
		for variant := 0; variant < fillVariants; variant++ {
			m := tl.request.New()
			fill(m, variant, 0)
			payload, err := codec.JSON.Marshal(m.Interface())
			if err != nil {
				t.Fatalf("%s: %v", tl.name, err)
			}
			if err := decodes(tl.request, payload); err != nil {
				t.Fatalf("%s: the codec refuses its own output: %v", tl.name, err)
			}
			if err := validates(t, tl.schema, payload); err != nil {
				t.Errorf("%s: variant %d does not validate:\n%s\n%v", tl.name, variant, payload, err)
			}
			full, err := emitAll.Marshal(m.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if err := validates(t, tl.schema, string(full)); err != nil {
				t.Errorf("%s: variant %d with every field written does not validate:\n%s\n%v", tl.name, variant, full, err)
			}
		}
		// The empty message, unless it lacks required fields.
		if empty, err := emitAll.Marshal(tl.request.New().Interface()); err == nil {
			if err := validates(t, tl.schema, string(empty)); err != nil {
				t.Errorf("%s: the empty message does not validate:\n%s\n%v", tl.name, empty, err)
			}
		}
	}
}

// TestSchemaParameter asserts that json_schema is off by default, and that
// a value other than true or false is refused.
func TestSchemaParameter(t *testing.T) {
	dir := filepath.Join("testdata", "single")
	for _, param := range []string{"", "json_schema=false"} {
		for name := range runPlugin(t, compileRequest(t, dir, param), false).files {
			if strings.HasSuffix(name, ToolsSuffix) {
				t.Errorf("%q wrote %s", param, name)
			}
		}
	}
	run := runPlugin(t, compileRequest(t, dir, "json_schema"), false)
	if _, ok := run.files["example.com/golden/single/greeter/v1/greeter_Greeter"+ToolsSuffix]; !ok {
		t.Errorf("json_schema (no value) wrote %v, want the tool descriptions too", keys(run.files))
	}
	var p Params
	if err := p.Set(ParamJSONSchema, "yes"); err == nil || !strings.Contains(err.Error(), `"yes"`) {
		t.Errorf("json_schema=yes: error %v, want one naming the value", err)
	}
}

// TestToolsFileNameClash asserts that two services whose tool files would
// have one name (service B_C of a.proto, service C of a_B.proto) are an
// error, not one file silently lost.
func TestToolsFileNameClash(t *testing.T) {
	dir := t.TempDir()
	for name, service := range map[string]string{"a.proto": "B_C", "a_B.proto": "C"} {
		src := "syntax = \"proto3\";\npackage p;\noption go_package = \"example.com/p\";\n" +
			"message M {}\nservice " + service + " { rpc Call(M) returns (M); }\n"
		if service == "C" {
			src = strings.Replace(src, "message M {}\n", "import \"a.proto\";\n", 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := runPlugin(t, compileRequest(t, dir, "json_schema=true"), false)
	if !strings.Contains(run.err, "would overwrite") || !strings.Contains(run.err, "a_B_C"+ToolsSuffix) {
		t.Errorf("error = %q, want one naming the clash", run.err)
	}
	if run := runPlugin(t, compileRequest(t, dir, ""), false); run.err != "" {
		t.Errorf("without json_schema: %s", run.err)
	}
}
