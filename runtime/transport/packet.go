package transport

import "github.com/lkrpc/lkrpc/runtime/rpcerr"

// MaxPacketPayload is the largest payload an RPC v1 packet carries (UTF-8
// bytes), the protocol's limit for requests and replies alike.
const MaxPacketPayload = 15360

// PacketTransfer describes payload sent as one RPC v1 packet.
func PacketTransfer(payload string) Transfer {
	return Transfer{Form: FormPacket, Packets: 1, WireBytes: len(payload)}
}

// CheckPacketCall refuses at once, sending nothing, what a transport that
// can send only RPC v1 packets (a stock SDK room, the server's RoomService)
// cannot send: no destination or method (1505), a forced stream (1505), a
// payload over MaxPacketPayload (1402). who names the transport in the
// errors; instead says what to use for what it cannot do.
func CheckPacketCall(call Call, who, instead string) error {
	switch {
	case call.Destination == "":
		return rpcerr.Newf(rpcerr.SendFailed, "%s: no destination identity", who)
	case call.Method == "":
		return rpcerr.Newf(rpcerr.SendFailed, "%s: no method", who)
	case call.Force == FormStream, call.Force == FormInline:
		return rpcerr.Newf(rpcerr.SendFailed, "%s: cannot send a request as a data stream: %s", who, instead)
	case call.Force != FormNone && call.Force != FormPacket:
		return rpcerr.Newf(rpcerr.SendFailed, "%s: unknown form %d", who, int(call.Force))
	case len(call.Payload) > MaxPacketPayload:
		return rpcerr.Newf(rpcerr.RequestPayloadTooLarge,
			"request payload of %d bytes is over the %d-byte RPC v1 limit: %s", len(call.Payload), MaxPacketPayload, instead)
	}
	return nil
}
