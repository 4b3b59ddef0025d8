package generator

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/lkrpc/lkrpc/generator/internal/synth"
)

// renderAll is renderInOrder's output on workers goroutines, files named
// and concatenated in the order write saw them, stopping after stopAfter
// models (-1: never) with the error write then returns.
func renderAll(t *testing.T, workers, stopAfter int) (string, error) {
	t.Helper()
	req := synth.Request(synth.ServicesPerFile*7+3, 2)
	req.Parameter = proto.String("json_schema=true")
	params, gen := newPlugin(t, req)
	models, err := params.plan(gen)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	written := 0
	err = params.renderInOrder(gen, models, workers, func(m *modelOutput) error {
		if written == stopAfter {
			return errors.New("stop")
		}
		written++
		for _, f := range m.files {
			fmt.Fprintf(&out, "\x00%s\n", f.name)
			for _, c := range f.content {
				out.Write(c)
			}
		}
		return m.err
	})
	return out.String(), err
}

// TestRenderInOrderSideBySide checks that rendering on several goroutines
// writes what one goroutine writes, in the same order, and that every
// goroutine has returned afterwards, also when write stops it early.
func TestRenderInOrderSideBySide(t *testing.T) {
	defer goleak.VerifyNone(t)
	want, err := renderAll(t, 1, -1)
	if err != nil {
		t.Fatal(err)
	}
	// 353 services in 8 files: a Go file each, and a tool file per service.
	if n := bytes.Count([]byte(want), []byte("\x00")); n != 8+7*synth.ServicesPerFile+3 {
		t.Fatalf("%d files rendered", n)
	}
	for _, workers := range []int{2, 3, 8} {
		got, err := renderAll(t, workers, -1)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%d goroutines rendered other output than one", workers)
		}
		stopped, err := renderAll(t, workers, 2)
		if err == nil || err.Error() != "stop" {
			t.Fatalf("%d goroutines, write failing at the third model: %v", workers, err)
		}
		if !bytes.HasPrefix([]byte(want), []byte(stopped)) || bytes.Count([]byte(stopped), []byte(".go\n")) != 2 {
			t.Fatalf("%d goroutines, stopped at the third model: wrote\n%.300s", workers, stopped)
		}
	}
}

// TestRenderersBySize checks the policy: one goroutine for a request of
// fewer than 2×methodsPerGoroutine methods, never more than files.
func TestRenderersBySize(t *testing.T) {
	for _, c := range []struct{ services, methods, max int }{
		{synth.ServicesPerFile, 10, 1},
		{4 * synth.ServicesPerFile, (2*methodsPerGoroutine - 1) / (4 * synth.ServicesPerFile), 1},
		{20 * synth.ServicesPerFile, 10, 20},
	} {
		params, gen := newPlugin(t, synth.Request(c.services, c.methods))
		models, err := params.plan(gen)
		if err != nil {
			t.Fatal(err)
		}
		methods := c.services * c.methods
		got := renderers(models)
		if got < 1 || got > c.max || (methods < 2*methodsPerGoroutine && got != 1) {
			t.Errorf("%d services × %d methods in %d files: %d goroutines", c.services, c.methods, len(models), got)
		}
	}
}
