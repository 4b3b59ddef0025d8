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
	deflate := streamsV2 && dest.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW)
	streamForm := form{stream: true, opts: e.cfg.sendOptions(streamsV2, deflate)}
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
	case protocol < link.ProtocolRPCv2:
		return packetForm(protocol0Why(dest))
	case size > e.cfg.packetThreshold:
		return streamForm, nil
	case deflate && size >= e.cfg.compressFrom():
		// Worth trying to compress: only a stream can carry that.
		return streamForm, nil
	default:
		// A stream would carry the same bytes in a larger first packet
		// (stream id, topic, mime type, four attributes): a v1 packet is
		// the smallest form every v2 peer accepts (§3.1).
		return form{}, nil
	}
}

// requestForm is chooseForm for a request, with one exception (PROTOCOL.md
// §6): the first request to each RPC v2 destination goes as a stream even
// when a packet would do. The destination may not have been told about this
// participant yet (the join window, §7); a v2 request proves this
// participant speaks v2, so an lkrpc handler can send a large reply at once
// instead of waiting for the room's word.
func (e *Engine) requestForm(dest peer, size int, force transport.Form) (form, *rpcerr.Error) {
	f, rerr := e.chooseForm(dest, size, force, rpcerr.RequestPayloadTooLarge)
	switch {
	case rerr != nil || !dest.announced || dest.ClientProtocol < link.ProtocolRPCv2:
		return f, rerr
	case f.stream:
		e.roster.introduce(dest.Identity)
		return f, nil
	case force == transport.FormNone && e.roster.introduce(dest.Identity):
		return e.chooseForm(dest, size, transport.FormStream, rpcerr.RequestPayloadTooLarge)
	}
	return f, nil
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
