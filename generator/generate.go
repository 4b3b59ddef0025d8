package generator

import (
	"errors"

	"google.golang.org/protobuf/compiler/protogen"
)

// FileSuffix ends the name of every generated file: foo.proto gives
// foo_lkrpc.pb.go beside protoc-gen-go's foo.pb.go.
const FileSuffix = "_lkrpc.pb.go"

// Generate is the plugin: it emits one FileSuffix file per requested proto
// file that declares services (even services without methods, so that code
// written against them keeps compiling as methods are added), and with
// JSONSchema one ToolsSuffix file per service. Files without services
// produce nothing.
//
// Every error (a streaming method, an invalid option, a clash of wire names)
// is reported, each naming its method, and then nothing is generated.
func (p *Params) Generate(gen *protogen.Plugin) error {
	models, err := p.plan(gen)
	if err != nil {
		return err
	}
	for _, model := range models {
		if err := generateFile(gen, model); err != nil {
			return err
		}
		if p.JSONSchema {
			if err := generateTools(gen, model); err != nil {
				return err
			}
		}
	}
	return nil
}

// plan declares the plugin's features on gen and models every requested
// file that declares services, or returns every problem found in any of
// them: nothing is emitted before plan has succeeded.
func (p *Params) plan(gen *protogen.Plugin) ([]*fileModel, error) {
	gen.SupportedFeatures = SupportedFeatures
	gen.SupportedEditionsMinimum = SupportedEditionsMinimum
	gen.SupportedEditionsMaximum = SupportedEditionsMaximum

	planner := newPlanner(gen)
	var models []*fileModel
	var errs []error
	for _, file := range gen.Files {
		if !file.Generate || len(file.Services) == 0 {
			continue
		}
		model, err := planner.planFile(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		models = append(models, model)
	}
	if p.JSONSchema {
		errs = append(errs, checkToolsNames(models))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return models, nil
}
