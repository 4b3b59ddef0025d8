package engine

import (
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

// chooseForm applies DESIGN.md's transport choice to a payload of size bytes
// for peer. It serves requests and replies alike: tooLarge is the code for a
// payload that must go as a v1 packet but exceeds MaxPacketPayload (1402 for
// requests, 1504 for replies). Replies are never forced (transport.FormNone).
func (e *Engine) chooseForm(dest link.Participant, size int, force transport.Form, tooLarge int) (form, *rpcerr.Error) {
	protocol := dest.ClientProtocol
	streamsV2 := protocol >= link.ProtocolStreamsV2
	streamForm := form{stream: true, opts: e.cfg.sendOptions(
		streamsV2,
		streamsV2 && dest.Has(livekit.ClientInfo_CAP_COMPRESSION_DEFLATE_RAW),
	)}
	packetForm := func() (form, *rpcerr.Error) {
		if size > MaxPacketPayload {
			return form{}, rpcerr.Builtin(tooLarge)
		}
		return form{}, nil
	}

	switch force {
	case transport.FormPacket:
		return packetForm()
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
		return packetForm()
	}
}

// participant returns what the link knows of identity; an unknown participant is
// treated as client protocol 0.
func (e *Engine) participant(identity string) link.Participant {
	p, ok := e.link.Participant(identity)
	if !ok {
		return link.Participant{Identity: identity}
	}
	return p
}
