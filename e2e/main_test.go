package e2e

import (
	"os"
	"testing"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// TestMain: see package lkserver. LKRPC_E2E_SDK_LOG=1 keeps server-sdk-go's
// and pion's logging, which is otherwise discarded.
func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}
