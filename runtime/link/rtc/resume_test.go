package rtc

import (
	"testing"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
)

// A resume must not reconfigure the peer connection: the ICE servers would
// only matter to an ICE restart, and rewriting them raced pion's gathering.
// The link here has no peer connection, so touching it would panic.
func TestReconnectResponseLeavesThePeerConnectionAlone(t *testing.T) {
	l := &Link{log: logger.GetDiscardLogger()}
	res := &livekit.ReconnectResponse{IceServers: []*livekit.ICEServer{{Urls: []string{"stun:192.0.2.1:3478"}}}}
	if err := l.onReconnectResponse(res); err != nil {
		t.Fatalf("onReconnectResponse = %v, want nil", err)
	}
}
