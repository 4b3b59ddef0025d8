// Package engine is lkrpc's protocol engine: the whole of LiveKit participant
// RPC (PROTOCOL.md) over a link.Link. It implements transport.Transport for
// the typed runtime above it and attaches itself to the link below it as an
// unexported link.Receiver (the plumbing is not part of its API).
// Payloads are opaque UTF-8 strings; the engine knows nothing of codecs.
//
// # Calls
//
// A call picks its transport from the destination's client protocol p:
//
//   - p == 0: an RPC v1 RpcRequest packet; a payload over 15360 bytes fails
//     with 1402 before anything is sent.
//   - p == 1: a v1 packet up to WithPacketThreshold bytes, a plain v2
//     request stream (header, chunks, trailer) above it.
//   - p >= 2: the same, except that from WithCompressMin bytes up a peer
//     that advertises CAP_COMPRESSION_DEFLATE_RAW gets a v2 stream, in one
//     packet (inline_content) when it fits and raw-DEFLATE compressed when
//     compression pays.
//   - p >= 1: the first request to each peer is a v2 stream whatever its
//     size, so that the peer learns the caller speaks v2 before the room
//     may have told it (PROTOCOL.md §6, §7).
//
// transport.FormPacket and transport.FormStream force the request form.
// The ack timer (WithAckTimeout, 7 s) is armed before the request is
// published (after it is encoded and compressed, which is the caller's
// time); the response timer (transport.ResponseTimeout: the call's own
// timeout, else the default, cut to ctx's deadline) after the whole request
// is published, as livekit-client does. No ack → 1501, no response → 1502,
// destination leaves or the link is lost → 1503, publishing fails → 1505,
// ctx cancelled → an error wrapping context.Canceled, ctx deadline → 1502
// (rpcerr.FromContext). Every call ends exactly once: whoever removes it
// from the pending table completes it; everybody else finds nothing to do.
// Late or unknown acks and responses, and responses from anyone but the
// called participant, are logged at debug level and dropped.
//
// # The join window
//
// livekit-server announces a participant that publishes nothing 0–3 s after
// it joins; its packets may arrive sooner. Until the announcement the engine
// does not know what it speaks (PROTOCOL.md §7):
//
//   - A request that arrives as an lk.rpc_request stream of version 2 proves
//     that its caller speaks at least protocol 1. The engine remembers that
//     floor per caller until the room announces the caller (the room's word
//     wins) or it leaves, and uses it for replies and for calls to it: plain
//     streams, never single-packet or compressed ones.
//   - A call to a destination that is neither announced nor has proved a
//     protocol counts it as protocol 0. A payload that fits a v1 packet goes
//     at once as one, which every peer accepts; a larger one would fail with
//     1402 for want of knowing, so the call first waits for the
//     announcement (WaitParticipant), bounded by the ack timeout or the
//     response deadline, whichever is first. The wait counts against the
//     response deadline. A destination that does not appear by then fails
//     the call with 1401 (RecipientNotFound): an absent destination would
//     not have acked either, and a call that went at once and got no ack
//     from a participant the room never announced ends with 1401 too.
//     Cancellation, ctx's deadline, Close and the link's loss end the wait
//     at once, as they end any call.
//   - A reply too large for a packet to a caller that is not announced and
//     sent its request as a v1 packet waits for the room's word until the
//     handler's deadline; then it is 1504.
//   - 1402 and 1504 say in Data whether the peer advertises protocol 0 or
//     is not known to the room yet.
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
// after its upload; transport.Request.Deadline carries it) and is cancelled
// when the caller leaves or the engine closes. Up to
// Limits.MaxRequestsPerSender requests per caller run at once; more are
// acked and refused with 1500. Handlers run through transport.Run, the one
// place that recovers a panic: an *rpcerr.Error goes back as is (truncated
// to the wire limits; its Cause is logged at warn level, never sent), any
// other error or a panic as 1500, logged. Successful replies follow the
// same transport rule as requests, from the caller's client protocol (a v1
// reply over 15360 bytes becomes 1504); errors always travel as v1
// RpcResponse packets.
//
// # Concurrency
//
// The link's receive goroutine is never blocked on a send: acks, replies
// and stream uploads go out from per-request goroutines, so small control
// packets never queue behind a big stream in the engine itself. Those are
// workers the engine keeps, with their grown stacks, from one request to
// the next (up to 256), or a goroutine of the request's own when every
// worker is busy: no request waits for another. A stream is
// sent sequentially from one goroutine and takes its pace from link.Send's
// backpressure. A call cancelled mid-upload ends its stream with an aborting
// trailer.
package engine
