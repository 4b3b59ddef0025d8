// Package engine is lkrpc's protocol engine: the whole of LiveKit participant
// RPC (PROTOCOL.md) over a link.Link. It implements transport.Transport for
// the typed runtime above it and attaches itself to the link below it as an
// unexported link.Receiver (the plumbing is not part of its API).
// Payloads are opaque UTF-8 strings; the engine knows nothing of codecs.
//
// # Calls
//
// A call picks its transport from the destination's client protocol p
// (unknown participant: 0):
//
//   - p == 0: an RPC v1 RpcRequest packet; a payload over 15360 bytes fails
//     with 1402 before anything is sent.
//   - p == 1: a v1 packet up to WithPacketThreshold bytes, a plain v2 request
//     stream (header, chunks, trailer) above it.
//   - p >= 2: a v2 stream, in one packet (inline_content) when it fits and
//     raw-DEFLATE compressed when the peer advertises
//     CAP_COMPRESSION_DEFLATE_RAW and compression pays.
//
// transport.FormPacket and transport.FormStream force the request form.
// The ack timer (WithAckTimeout, 7 s) is armed before the request is
// published (after it is encoded and compressed, which is the caller's
// time); the response timer (the call's timeout) after the whole request
// is published, as livekit-client does. No ack → 1501, no response → 1502,
// destination leaves or the link is lost → 1503, publishing fails → 1505,
// ctx cancelled → an error wrapping context.Canceled, ctx deadline → 1502.
// Every call ends exactly once: whoever removes it from the pending table
// completes it; everybody else finds nothing to do. Late or unknown acks and
// responses, and responses from anyone but the called participant, are
// logged at debug level and dropped.
//
// # Handlers
//
// An RpcRequest packet is acked first, always; then version != 1 → 1404,
// unknown method → 1400. An lk.rpc_request stream is checked at header time:
// missing or unparsable attributes → 1500 "RPC data stream malformed" and no
// ack; otherwise an immediate ack, version != 2 → 1404, the body is awaited
// (failure → 1500), unknown method → 1400. The handler runs in its own
// goroutine with a context that carries the caller's deadline (counted from
// when the whole request arrived, since the caller's response timer starts
// after its upload) and is cancelled when the caller leaves or the engine
// closes. Up to Limits.MaxRequestsPerSender requests per caller run at once;
// more are acked and refused with 1500. An *rpcerr.Error
// goes back as is (truncated to the wire limits), any other error or a panic
// as 1500. Successful replies follow the same transport rule as requests,
// from the caller's client protocol (a v1 reply over 15360 bytes becomes
// 1504); errors always travel as v1 RpcResponse packets.
//
// # Concurrency
//
// The link's receive goroutine is never blocked on a send: acks, replies
// and stream uploads go out from per-request goroutines, so small control
// packets never queue behind a big stream in the engine itself. A stream is
// sent sequentially from one goroutine and takes its pace from link.Send's
// backpressure. A call cancelled mid-upload ends its stream with an aborting
// trailer.
package engine
