package conformance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/link/memroom"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// §1: an lkrpc participant advertises client protocol 2 with
// CAP_COMPRESSION_DEFLATE_RAW, and the others see it.
func TestVersion_LinkAdvertisesProtocol2AndDeflate(t *testing.T) {
	b := newBed(t)
	b.engine("alice", v2)
	p, err := b.room.Join("bob")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	seen, ok := p.Participant("alice")
	if !ok || seen.ClientProtocol != link.ProtocolStreamsV2 || !seen.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW) {
		t.Errorf("alice seen as %+v (known %v), want protocol 2 with deflate", seen, ok)
	}
}

// §2: compressed_payload exists but no SDK uses it: it is never set.
func TestV1_NeverSetsCompressedPayload(t *testing.T) {
	b := newBed(t)
	alice := b.engine("alice", protocol1) // answers and calls with packets when small
	bob := b.engine("bob", protocol0)
	serve(t, bob, "echo", echo)
	serve(t, alice, "echo", echo)
	payload := compressible(15000) // would compress well
	mustCall(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: payload})
	// bob's first request to alice is a stream (§6: it introduces him); the
	// second is a packet.
	mustCall(t, bob, transport.Call{Destination: "alice", Method: "echo", Payload: payload})
	mustCall(t, bob, transport.Call{Destination: "alice", Method: "echo", Payload: payload})
	for _, d := range b.log.all() {
		if len(d.Packet.GetRpcRequest().GetCompressedPayload()) > 0 || len(d.Packet.GetRpcResponse().GetCompressedPayload()) > 0 {
			t.Errorf("%s from %s sets compressed_payload", summary(d.Packet), d.From)
		}
	}
	if len(b.log.where(kind[reqPkt])) != 2 {
		t.Fatalf("want two v1 requests:\n%s", describe(b.log.all()))
	}
}

// §2: string fields must be valid UTF-8; a payload that is not is refused
// before anything is sent.
func TestCaller_InvalidUTF8PayloadRefused(t *testing.T) {
	b, alice := twoPeers(t, v2)
	_, err := call(t, alice, transport.Call{Destination: "bob", Method: "echo", Payload: "bad \xff"})
	if _, ok := rpcerr.From(err); !ok {
		t.Fatalf("error %v, want an RPC error", err)
	}
	if n := len(b.log.all()); n != 0 {
		t.Errorf("%d packets sent for an invalid payload", n)
	}
}

// §3.2: a non-empty trailer reason means the stream was aborted: a call
// abandoned mid-upload ends its request stream that way.
func TestStreams_CancelledUploadEndsWithAbortingTrailer(t *testing.T) {
	b := newBed(t, memroom.WithSendBuffer(64<<10, 16<<10))
	alice := b.engine("alice", v2)
	p, err := b.room.Join("bob", protocol1...)
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	p.Attach(gated{gate})
	t.Cleanup(func() { _ = p.Close() })

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := alice.Call(ctx, transport.Call{Destination: "bob", Method: "m", Payload: noisy(1 << 20), Timeout: waitLimit})
		done <- err
	}()
	b.log.waitFor(t, "a first chunk", kind[chunkPkt])
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled call ended with %v", err)
	}
	close(gate) // bob reads again, so the trailer can get through
	d := b.log.waitFor(t, "an aborting trailer", and(from("alice"), kind[trailerPkt]))
	if d.Packet.GetStreamTrailer().GetReason() == "" {
		t.Error("the abandoned stream ended with an empty reason, as if complete")
	}
}

// gated is a receiver that takes packets only once gate is closed.
type gated struct{ gate chan struct{} }

func (g gated) ReceivePacket(*livekit.DataPacket) { <-g.gate }
func (gated) ParticipantChanged(link.Event)       {}
func (gated) Disconnected(error)                  {}
