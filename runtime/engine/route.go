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
			return form{}, builtin(tooLarge)
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
	case protocol == link.ProtocolRPCv2 && size > e.cfg.packetMax:
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

// builtinMessages are the messages every LiveKit SDK uses for the built-in codes.
var builtinMessages = map[int]string{
	rpcerr.UnsupportedMethod:       "Method not supported at destination",
	rpcerr.RecipientNotFound:       "Recipient not found",
	rpcerr.RequestPayloadTooLarge:  "Request payload too large",
	rpcerr.UnsupportedServer:       "RPC not supported by server",
	rpcerr.UnsupportedVersion:      "Unsupported RPC version",
	rpcerr.ApplicationError:        "Application error in method handler",
	rpcerr.ConnectionTimeout:       "Connection timeout",
	rpcerr.ResponseTimeout:         "Response timeout",
	rpcerr.RecipientDisconnected:   "Recipient disconnected",
	rpcerr.ResponsePayloadTooLarge: "Response payload too large",
	rpcerr.SendFailed:              "Failed to send",
}

// builtin returns a built-in error with the SDKs' standard message.
func builtin(code int) *rpcerr.Error {
	return rpcerr.New(code, builtinMessages[code])
}

// builtinData returns a built-in error with the standard message and data
// explaining the cause, as livekit-client does.
func builtinData(code int, data string) *rpcerr.Error {
	e := builtin(code)
	e.Data = data
	return e
}
