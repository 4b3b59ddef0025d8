package engine

import (
	"fmt"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/link"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// form is how one payload (a request or a successful reply) goes on the wire.
type form struct {
	stream bool                   // a v2 data stream; otherwise an RPC v1 packet
	opts   datastream.SendOptions // for streams: what the recipient accepts
}

// chooseForm applies PROTOCOL.md §6 to a payload of size bytes for dest. It
// serves requests and replies alike: tooLarge is the code for a payload
// that must go as a v1 packet but exceeds MaxPacketPayload (1402 for
// requests, 1504 for replies). Replies are never forced (transport.FormNone).
// Single-packet and compressed streams need the room's word that dest
// accepts them; a protocol learned from dest's own requests (§7) only ever
// proves 1, which plain streams serve.
func (e *Engine) chooseForm(dest peer, size int, force transport.Form, tooLarge int) (form, *rpcerr.Error) {
	protocol := dest.ClientProtocol
	streamsV2 := dest.announced && protocol >= link.ProtocolStreamsV2
	streamForm := form{stream: true, opts: e.cfg.sendOptions(
		streamsV2,
		streamsV2 && dest.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW),
	)}
	packetForm := func(why string) (form, *rpcerr.Error) {
		if size > MaxPacketPayload {
			return form{}, rpcerr.BuiltinData(tooLarge, why)
		}
		return form{}, nil
	}

	switch force {
	case transport.FormPacket:
		return packetForm(fmt.Sprintf("the call forces an RPC v1 packet, which carries at most %d bytes", MaxPacketPayload))
	case transport.FormStream, transport.FormInline:
		return streamForm, nil
	case transport.FormNone:
	default:
		return form{}, rpcerr.Newf(rpcerr.SendFailed, "unknown form %d", int(force))
	}
	switch {
	case protocol >= link.ProtocolStreamsV2:
		return streamForm, nil
	case protocol == link.ProtocolRPCv2 && size > e.cfg.packetThreshold:
		return streamForm, nil
	case protocol == link.ProtocolRPCv2:
		return form{}, nil
	default:
		return packetForm(protocol0Why(dest))
	}
}

// protocol0Why is the Data of a 1402 or 1504 for a peer treated as client
// protocol 0: whether the peer said so or the room has not said anything
// yet (the join window) is the difference between "cannot" and "not yet".
func protocol0Why(dest peer) string {
	if dest.announced {
		return fmt.Sprintf("participant %s advertises client protocol %d: RPC v1 packets only, at most %d bytes",
			dest.Identity, dest.ClientProtocol, MaxPacketPayload)
	}
	return fmt.Sprintf("participant %s is not known to the room yet; treated as client protocol 0: RPC v1 packets only, at most %d bytes",
		dest.Identity, MaxPacketPayload)
}
