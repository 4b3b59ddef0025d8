package generator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// Respond is the plugin after protogen.Options.New: it writes to w the
// CodeGeneratorResponse that protogen.Options.Run writes after Generate,
// byte for byte, with less held in memory. protogen keeps every generated
// file until the end, then formats each one whole and copies it twice
// (into a string, then into the marshaled response). Respond renders and
// formats each Go file one service at a time (formatGoByService), to the
// bytes GeneratedFile.Content gives, and writes it out at once, so that one
// service's jennifer tree and syntax tree are alive at a time on each
// goroutine; files are rendered side by side, one per CPU, and written in
// order (renderInOrder).
//
// Every error of the request (planning, paths against module=) is found
// before the first file is written and answered as protogen answers it. A
// file that then fails to render or format, which only a bug in the
// generator can cause, ends the response with the error field after the
// files already written: protoc and buf fail on a response whose error is
// set, whatever else it holds. With annotate_code, whose .meta files only
// protogen writes, Respond leaves the whole run to protogen.
//
// Respond consumes gen: it clears gen.Request and every file's Proto.
func (p *Params) Respond(gen *protogen.Plugin, w io.Writer) error {
	module, annotate := responseParams(gen.Request.GetParameter())
	// Nothing after protogen.Options.New reads the decoded request (the
	// descriptors and comments are protogen's own): let the collector have
	// it, about 2 MiB of live heap in the bench's requests.
	gen.Request = nil
	for _, f := range gen.Files {
		f.Proto = nil
	}
	if annotate {
		if err := p.Generate(gen); err != nil {
			gen.Error(err)
		}
		return writeMessage(w, gen.Response())
	}
	models, err := p.plan(gen)
	if err != nil {
		gen.Error(err)
		return writeMessage(w, gen.Response())
	}
	if err := checkModule(models, p.JSONSchema, module); err != nil {
		// protogen's Response answers this with the error alone.
		return writeMessage(w, &pluginpb.CodeGeneratorResponse{Error: proto.String(err.Error())})
	}
	// gen holds no generated file: its response is the header alone
	// (features and editions), which the files follow as protobuf allows.
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := writeMessage(bw, gen.Response()); err != nil {
		return err
	}
	err = p.renderInOrder(gen, models, renderers(models), func(out *modelOutput) error {
		for _, f := range out.files {
			if err := writeFile(bw, strings.TrimPrefix(f.name, module), f.content...); err != nil {
				return err
			}
		}
		if out.err != nil {
			if err := writeError(bw, out.err); err != nil {
				return err
			}
			return errStopped
		}
		return nil
	})
	if err != nil && err != errStopped {
		return err
	}
	return bw.Flush()
}

// errStopped ends renderInOrder once a file's error has been written: the
// response is complete.
var errStopped = errors.New("response ended by a file's error")

// responseParams reads the two protogen parameters that shape the response
// rather than the files: module= (a prefix cut from every file name) and
// annotate_code. protogen.Options.New has already refused bad values; this
// reads them the same way (the last module= wins; any annotate_code=true
// holds).
func responseParams(parameter string) (module string, annotate bool) {
	for _, param := range strings.Split(parameter, ",") {
		name, value, _ := strings.Cut(param, "=")
		switch name {
		case "module":
			module = value
		case "annotate_code":
			// As in protogen, a later annotate_code=false does not undo it.
			annotate = annotate || value == "true" || value == ""
		}
	}
	if module != "" {
		module += "/"
	}
	return module, annotate
}

// checkModule refuses, as protogen's Response does, a file whose name does
// not start with the module= prefix; protogen names the first such file in
// output order, and so does checkModule.
func checkModule(models []*fileModel, tools bool, module string) error {
	if module == "" {
		return nil
	}
	check := func(name string) error {
		if !strings.HasPrefix(name, module) {
			return fmt.Errorf("%v: generated file does not match prefix %q", name, strings.TrimSuffix(module, "/"))
		}
		return nil
	}
	for _, model := range models {
		if err := check(goFileName(model)); err != nil {
			return err
		}
		if !tools {
			continue
		}
		for _, s := range model.services {
			if err := check(toolsFileName(model.file, s.svc)); err != nil {
				return err
			}
		}
	}
	return nil
}

// formatGo is GeneratedFile.Content for a file that names no import through
// protogen (jennifer writes the import block itself): parse, then print with
// protogen's printer settings. Its error reads like protogen's.
func formatGo(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		var numbered strings.Builder
		for i, line := range strings.Split(strings.TrimSuffix(string(src), "\n"), "\n") {
			fmt.Fprintf(&numbered, "%5d\t%s\n", i+1, line)
		}
		return nil, fmt.Errorf("%v: unparsable Go source: %v\n%v", name, err, numbered.String())
	}
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/4)
	if err := (&printer.Config{Mode: printer.TabIndent | printer.UseSpaces, Tabwidth: 8}).Fprint(&out, fset, file); err != nil {
		return nil, fmt.Errorf("%v: can not reformat Go source: %v", name, err)
	}
	return out.Bytes(), nil
}

// Field numbers of CodeGeneratorResponse and CodeGeneratorResponse.File.
const (
	responseErrorField = 1
	responseFileField  = 15
	fileNameField      = 1
	fileContentField   = 15
)

// writeFile writes one CodeGeneratorResponse.file entry holding name and
// the concatenation of content, encoded as proto.Marshal encodes it,
// without copying content.
func writeFile(w io.Writer, name string, content ...[]byte) error {
	size := 0
	for _, c := range content {
		size += len(c)
	}
	inner := protowire.SizeTag(fileNameField) + protowire.SizeBytes(len(name)) +
		protowire.SizeTag(fileContentField) + protowire.SizeBytes(size)
	head := make([]byte, 0, 32+len(name))
	head = protowire.AppendTag(head, responseFileField, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(inner))
	head = protowire.AppendTag(head, fileNameField, protowire.BytesType)
	head = protowire.AppendString(head, name)
	head = protowire.AppendTag(head, fileContentField, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(size))
	if _, err := w.Write(head); err != nil {
		return err
	}
	for _, c := range content {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// writeError appends the error field to a response being written.
func writeError(w io.Writer, err error) error {
	b := protowire.AppendTag(nil, responseErrorField, protowire.BytesType)
	_, werr := w.Write(protowire.AppendString(b, err.Error()))
	return werr
}

func writeMessage(w io.Writer, resp *pluginpb.CodeGeneratorResponse) error {
	out, err := proto.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
