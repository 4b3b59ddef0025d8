package generator

import (
	"fmt"

	"google.golang.org/protobuf/compiler/protogen"
)

// ParamJSONSchema is the plugin parameter that turns on the tool
// descriptions: json_schema=true writes one ToolsSuffix file per service.
const ParamJSONSchema = "json_schema"

// Params are the plugin parameters of protoc-gen-lkrpc besides protogen's
// own (paths, module, M…). The zero value is the default output: Go only.
type Params struct {
	// JSONSchema writes, per service, the JSON Schema of each method's
	// request as an LLM tool definition (see generateTools).
	JSONSchema bool
}

// Set is the protogen.Options.ParamFunc: it takes one name=value parameter.
// A bool parameter reads "true", "false" or nothing (as true), the way
// protogen reads its own annotate_code; any other name or value is an
// error, so a misspelt parameter never silently changes nothing.
func (p *Params) Set(name, value string) error {
	switch name {
	case ParamJSONSchema:
		b, err := parseBool(name, value)
		p.JSONSchema = b
		return err
	default:
		return fmt.Errorf("protoc-gen-lkrpc: unknown parameter %q", name)
	}
}

func parseBool(name, value string) (bool, error) {
	switch value {
	case "true", "":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, fmt.Errorf(`protoc-gen-lkrpc: bad value %q for parameter %q: want "true" or "false"`, value, name)
	}
}

// Generate runs the plugin with the default parameters.
func Generate(gen *protogen.Plugin) error {
	return (&Params{}).Generate(gen)
}
