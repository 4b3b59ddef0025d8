package e2e

import (
	"testing"

	"github.com/lkrpc/lkrpc/runtime/transport"
)

// Who sends a payload, for wantWire.
const (
	sendsGo  = "go"  // the lkrpc engine, to a v2 peer
	sendsSDK = "sdk" // a v2 SDK peer (livekit-client, rtc-node)
	sendsV1  = "v1"  // either side, when the other is v1-only
)

// wantWire is the form a payload must take on the wire, per sender: to a
// client-protocol-2 + deflate recipient, an SDK sends single packets when
// the header fits (compressed only when smaller) and compressed streams
// above; lkrpc does the same except that a payload below the compression
// minimum goes as a v1 packet, unless it is its first request to that
// peer (PROTOCOL.md §6); a protocol-0 peer exchanges v1 packets only.
func wantWire(sender, size string, first bool) string {
	switch {
	case sender == sendsV1:
		return formPacket
	case size == "16B" && sender == sendsGo && !first:
		return formPacket
	case size == "16B":
		return formInline
	case size == "15KiB":
		return formInline + ", deflate"
	default:
		return formStream + ", deflate"
	}
}

// shape is a form without its packet count.
func (f wireForm) shape() string {
	s := f.kind
	if f.compressed {
		s += ", deflate"
	}
	return s
}

// goSender and peerSender name who sends a payload for wantWire.
func (m *matrixRoom) goSender() string {
	if m.pk.v2 {
		return sendsGo
	}
	return sendsV1
}

func (m *matrixRoom) peerSender() string {
	if m.pk.v2 {
		return sendsSDK
	}
	return sendsV1
}

// wantPeerReply is the form of the peer's reply to a request of Go's that
// went as req.
func (m *matrixRoom) wantPeerReply(size string, req wireForm) string {
	if m.pk.packetReplies && req.kind == formPacket {
		return formPacket
	}
	return wantWire(m.peerSender(), size, false)
}

// oneExchange returns the single RPC on the wire since mark.
func (m *matrixRoom) oneExchange(t *testing.T, mark int, engineCalled bool) wireExchange {
	t.Helper()
	exs := m.wire.exchanges(mark, engineCalled)
	if len(exs) != 1 {
		t.Fatalf("%d RPCs on the wire, want 1: %v", len(exs), exs)
	}
	return exs[0]
}

// peerExchange is the RPC on the wire of a call the peer made (o): the
// last of its attempts, which must be all there is.
func (m *matrixRoom) peerExchange(t *testing.T, mark int, o peerOutcome) wireExchange {
	t.Helper()
	exs := m.wire.exchanges(mark, false)
	if want := max(o.Attempts, 1); len(exs) != want {
		t.Fatalf("%d RPCs on the wire, want %d (the peer's attempts): %v", len(exs), want, exs)
	}
	return exs[len(exs)-1]
}

func checkForm(t *testing.T, what string, got wireForm, want string) {
	t.Helper()
	if got.shape() != want {
		t.Fatalf("%s went as %v on the wire, want %s", what, got, want)
	}
	if got.kind == formStream && got.packets < 3 {
		t.Fatalf("%s: stream of %d packets, want header, chunks and trailer", what, got.packets)
	}
}

// checkReport: the engine's own account of a transfer must match the wire.
func checkReport(t *testing.T, what string, report transport.Transfer, wire wireForm) {
	t.Helper()
	kinds := map[transport.Form]string{transport.FormPacket: formPacket, transport.FormInline: formInline, transport.FormStream: formStream}
	if kinds[report.Form] != wire.kind || report.Compressed != wire.compressed || report.Packets != wire.packets {
		t.Fatalf("the engine reports the %s as %v in %d packets; the wire saw %v", what, report, report.Packets, wire)
	}
}

// checkErrorOnWire: errors always travel as v1 RpcResponse.error packets.
func checkErrorOnWire(t *testing.T, ex wireExchange, code int) {
	t.Helper()
	if !ex.acked || ex.response.kind != formError || int(ex.response.errCode) != code {
		t.Fatalf("on the wire: %v, want an ack and a v1 error packet %d", ex, code)
	}
}
