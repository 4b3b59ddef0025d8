package rtc_test

import (
	"testing"

	"github.com/livekit/protocol/logger"
	"github.com/livekit/protocol/logger/pionlogger"

	"github.com/lkrpc/lkrpc/runtime/link/rtc"
)

// formatted records whether a log line was formatted (fmt calls String).
type formatted struct{ called bool }

func (f *formatted) String() string { f.called = true; return "x" }

// pion's logging goes through pionlogger's factory, as in server-sdk-go's
// NewPCTransport. With QuietSDKLogger no trace or error line is even
// formatted; with the generic discard logger each one is.
func TestQuietSDKLoggerLetsPionSkipFormatting(t *testing.T) {
	cases := []struct {
		name   string
		l      logger.Logger
		format bool
	}{
		{"QuietSDKLogger", rtc.QuietSDKLogger(), false},
		{"logger.GetDiscardLogger", logger.GetDiscardLogger(), true},
	}
	for _, c := range cases {
		pion := pionlogger.NewLoggerFactory(c.l).NewLogger("sctp")
		var trace, errorf formatted
		pion.Tracef("chunk %v", &trace)
		pion.Errorf("failed %v", &errorf)
		if trace.called != c.format || errorf.called != c.format {
			t.Errorf("%s: trace formatted %v, error formatted %v; want %v", c.name, trace.called, errorf.called, c.format)
		}
	}
}
