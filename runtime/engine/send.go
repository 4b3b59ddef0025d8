package engine

import (
	"context"

	"github.com/livekit/protocol/livekit"

	"github.com/lkrpc/lkrpc/runtime/engine/datastream"
	"github.com/lkrpc/lkrpc/runtime/rpcerr"
	"github.com/lkrpc/lkrpc/runtime/transport"
)

// sendControl publishes an ack or response packet. Failures are logged: the
// other side's timers deal with what never arrives.
func (e *Engine) sendControl(ctx context.Context, pkt *livekit.DataPacket) {
	if err := e.link.Send(ctx, pkt); err != nil {
		e.log.Debug("lkrpc: sending control packet failed",
			"to", pkt.GetDestinationIdentities(), "type", packetType(pkt), "err", err)
	}
}

// sendError publishes err as the RpcResponse.error of request id.
func (e *Engine) sendError(ctx context.Context, caller, id string, err *rpcerr.Error) {
	e.sendControl(ctx, errorPacket(caller, id, err))
}

// sendStream encodes out and publishes its packets (see publishStream).
// out's attributes and destinations are handed over (EncodeOwned).
func (e *Engine) sendStream(ctx context.Context, out datastream.Outgoing, opts datastream.SendOptions) (datastream.Info, error) {
	packets, info, err := datastream.EncodeOwned(out, opts)
	if err != nil {
		return info, err
	}
	err = e.publishStream(ctx, out, &packets, nil)
	return packets.Info(), err
}

// publishStream sends an encoded stream's packets in order from this
// goroutine, each Send waiting out the link's backpressure. When a send
// fails after the header went out, the stream is ended with an aborting
// trailer so the recipient does not hold it open. sentOne, when set, is
// told of each packet handed to the link.
func (e *Engine) publishStream(ctx context.Context, out datastream.Outgoing, packets *datastream.Packets, sentOne func(*livekit.DataPacket)) error {
	defer packets.Close() // a payload compressed as it is sent stops compressing
	sent := 0
	for pkt := packets.Next(); pkt != nil; pkt = packets.Next() {
		if err := e.link.Send(ctx, pkt); err != nil {
			if sent > 0 {
				reason := "send failed"
				if ctx.Err() != nil {
					reason = "cancelled"
				}
				e.abortStream(out.StreamID, out.Destinations, reason)
			}
			return err
		}
		sent++
		if sentOne != nil {
			sentOne(pkt)
		}
	}
	// An aborting trailer ended the stream already.
	return packets.Err()
}

// uploadProgress reports a request stream's content as its packets go out;
// nil when nobody asked. The total is -1 until known (a payload compressed
// as it is sent).
func uploadProgress(to *reporter, packets *datastream.Packets) func(*livekit.DataPacket) {
	if to == nil {
		return nil
	}
	var bytes int64
	return func(pkt *livekit.DataPacket) {
		if n := contentBytes(pkt); n > 0 {
			bytes += n
			to.report(transport.Progress{Bytes: bytes, Total: int64(packets.Info().WireBytes)})
		}
	}
}

// abortStream sends an aborting trailer in the background: the upload's own
// context is over, and the trailer must queue behind chunks already handed
// to the link.
func (e *Engine) abortStream(streamID string, destinations []string, reason string) {
	e.goTracked(func() {
		ctx, cancel := context.WithTimeout(e.life, e.cfg.ackTimeout)
		defer cancel()
		if err := e.link.Send(ctx, datastream.Abort(streamID, destinations, reason)); err != nil {
			e.log.Debug("lkrpc: sending stream abort failed", "stream_id", streamID, "err", err)
		}
	})
}

func streamTransfer(info datastream.Info) transport.Transfer {
	kind := transport.FormStream
	if info.Inline {
		kind = transport.FormInline
	}
	return transport.Transfer{Form: kind, Compressed: info.Compressed, Packets: info.Packets, WireBytes: info.WireBytes}
}

// packetType names a packet's value for logs.
func packetType(pkt *livekit.DataPacket) string {
	switch pkt.GetValue().(type) {
	case *livekit.DataPacket_RpcRequest:
		return "rpc_request"
	case *livekit.DataPacket_RpcAck:
		return "rpc_ack"
	case *livekit.DataPacket_RpcResponse:
		return "rpc_response"
	case *livekit.DataPacket_StreamHeader:
		return "stream_header"
	case *livekit.DataPacket_StreamChunk:
		return "stream_chunk"
	case *livekit.DataPacket_StreamTrailer:
		return "stream_trailer"
	}
	return "other"
}
