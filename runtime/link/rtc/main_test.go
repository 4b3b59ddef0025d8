package rtc_test

import (
	"os"
	"testing"

	"github.com/lkrpc/lkrpc/e2e/lkserver"
)

// TestMain runs the end-to-end tests inside the private network namespace
// with a real livekit-server when LKRPC_E2E=1; otherwise they skip.
// server-sdk-go and pion log every state change through the SDK's package
// logger; LKRPC_E2E_SDK_LOG=1 keeps that noise, otherwise it is discarded.
func TestMain(m *testing.M) {
	os.Exit(lkserver.Main(m))
}
