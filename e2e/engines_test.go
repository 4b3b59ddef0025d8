package e2e

import (
	"testing"

	"github.com/lkrpc/lkrpc/runtime/engine"
	"github.com/lkrpc/lkrpc/runtime/link"
)

// newEngine puts an engine on l; the test fails when an option is refused.
// Closing it is the caller's business.
func newEngine(t testing.TB, l link.Link, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e, err := engine.New(l, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
