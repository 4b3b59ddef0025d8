package e2e

import (
	"os"
	"testing"

	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// TestMain: see package lkserver. LKRPC_E2E_SDK_LOG=1 keeps server-sdk-go's
// and pion's logging, which is otherwise discarded.
func TestMain(m *testing.M) {
	if os.Getenv("LKRPC_E2E_SDK_LOG") != "1" {
		lksdk.SetLogger(logger.GetDiscardLogger())
	}
	os.Exit(lkserver.Main(m))
}
