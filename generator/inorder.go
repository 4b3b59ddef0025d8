package generator

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/compiler/protogen"
)

// methodsPerGoroutine is how many methods a request needs per goroutine
// that renders it: about 0.2 s of rendering and formatting on one CPU.
const methodsPerGoroutine = 1000

// modelOutput is what one fileModel generates, in the order Generate adds
// it to gen: its Go file (head and body, written back to back) and with
// JSONSchema its tool descriptions; err is the error that stopped it,
// after the files it names.
type modelOutput struct {
	head, body bytes.Buffer
	files      []outputFile
	err        error
}

// outputFile is one file of the response: its name (module= not yet cut)
// and content, the concatenation of the slices.
type outputFile struct {
	name    string
	content [][]byte
}

func (o *modelOutput) reset() {
	o.head.Reset()
	o.body.Reset()
	clear(o.files)
	o.files = o.files[:0]
	o.err = nil
}

// renderers is how many goroutines render models: one per CPU, at most
// one per model, and one per methodsPerGoroutine methods only, since each
// one adds its share of the heap and of the allocator's caches to the peak
// memory (about 2 MiB), which a request that renders in a tenth of a second
// does better without.
func renderers(models []*fileModel) int {
	methods := 0
	for _, m := range models {
		for i := range m.services {
			methods += len(m.services[i].methods)
		}
	}
	return max(1, min(runtime.GOMAXPROCS(0), len(models), methods/methodsPerGoroutine))
}

// renderInOrder renders models on workers goroutines and calls write with
// each one's output in the models' order, stopping at the first error
// write returns. A model is rendered whole by one goroutine (its imports
// are named in the order its own services use them), so the output does
// not depend on the scheduling; protoc and buf run a plugin once per
// request, and a request of several files is formatted about as many
// times faster as there are CPUs, up to the number of files.
//
// At most one model more than there are goroutines is held at a time,
// rendered or being rendered: a goroutine takes a free modelOutput before
// it claims the next model, and write's caller frees one only after
// writing it. Claims go in order, so the model write waits for is always
// claimed or about to be. Every goroutine has returned when renderInOrder
// does.
func (p *Params) renderInOrder(gen *protogen.Plugin, models []*fileModel, workers int, write func(*modelOutput) error) error {
	free := make(chan *modelOutput, workers+1)
	for range cap(free) {
		free <- new(modelOutput)
	}
	ready := make([]chan *modelOutput, len(models))
	for i := range ready {
		ready[i] = make(chan *modelOutput, 1)
	}
	var claimed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for range workers {
		wg.Go(func() {
			for {
				var out *modelOutput
				select {
				case out = <-free:
				case <-stop:
					return
				}
				i := int(claimed.Add(1) - 1)
				if i >= len(models) {
					return
				}
				p.renderModel(gen, models[i], out)
				ready[i] <- out
			}
		})
	}
	for i := range models {
		out := <-ready[i]
		if err := write(out); err != nil {
			return err
		}
		out.reset()
		free <- out
	}
	return nil
}

// renderModel fills out with model's files, formatted, in the order
// Generate adds them to gen.
func (p *Params) renderModel(gen *protogen.Plugin, model *fileModel, out *modelOutput) {
	if out.err = formatGoByService(gen, model, &out.head, &out.body); out.err != nil {
		return
	}
	out.files = append(out.files, outputFile{goFileName(model), [][]byte{out.head.Bytes(), out.body.Bytes()}})
	if !p.JSONSchema {
		return
	}
	for i := range model.services {
		content, err := toolsContent(model, &model.services[i])
		if err != nil {
			out.err = err
			return
		}
		out.files = append(out.files, outputFile{toolsFileName(model.file, model.services[i].svc), [][]byte{content}})
	}
}
