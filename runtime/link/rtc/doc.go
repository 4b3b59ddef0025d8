// Package rtc is lkrpc's participant link to a real LiveKit room: it joins
// as a data-only participant, built from server-sdk-go v2.18.1's exported
// signalling package and a pion/webrtc v4 peer connection set up as
// server-sdk-go's PCTransport does, with larger UDP receive buffers
// (pctransport.go; no *lksdk.Room), and implements link.Link for the
// protocol engine.
//
// What it does, and why this way (docs/DESIGN.md, "The real-room link: rtc"):
//
//   - It joins on the single-peer-connection path (a JoinRequest carrying the
//     client's offer) and advertises client protocol 2 with
//     CAP_COMPRESSION_DEFLATE_RAW by default, which stock server-sdk-go cannot
//     (it always advertises 0). WithClientProtocol lowers that to 1 or 0.
//   - All data flows on the client-created "_reliable" data channel, both
//     ways. Inbound packets are handed from pion's callback to one delivery
//     goroutine, in arrival order, so pion is never blocked by the engine.
//   - Sends are numbered (DataPacket.sequence) and flow-controlled with a
//     high-water mark and pion's buffered-amount-low event, instead of
//     waiting for the buffer to drain to zero before every chunk (what
//     server-sdk-go does, 3–5 s per MiB). Control packets (link.IsControl)
//     skip the wait so acks and responses never queue behind a stream.
//   - The participant table follows JoinResponse and ParticipantUpdates by
//     version and SID; a stale departed entry never replaces a live one.
//     Each link.Participant carries what the server says: client protocol,
//     capabilities, kind (STANDARD, AGENT, SIP, …) and attributes, kept
//     current by Updated events (lkrpc's authorizers decide on them).
//   - Close leaves cleanly (LeaveRequest, then the server's own Leave reply).
//   - It recovers by itself, as LiveKit's SDKs do (recovery.go). A dropped
//     signal connection, a failed ICE transport or a server's Leave with
//     action RESUME is resumed: same session and SID, a new signal
//     connection, and an ICE restart when ICE had failed (a new offer with
//     fresh credentials; the data channel carries on), for up to
//     WithResumeTimeout. When that fails or is refused (a restarted server
//     no longer knows the session), when the server's Leave says RECONNECT,
//     or when the data channel itself closed, the link rejoins: a new
//     session under the same identity, advertising the same client
//     protocol, capabilities, metadata and attributes (those SetAttributes
//     applied are applied again), with a bounded backoff, for up to
//     WithReconnect. The Link stays the same object, so the engine keeps its
//     registrations. During a rejoin every remote participant is reported
//     Left (calls in flight end once with 1503) and Send fails with
//     link.ErrClosed and ErrReconnecting; afterwards the participants
//     present are reported Joined. WithStateHandler is told each step
//     (reconnecting, reconnected, gave up), which is also logged.
//   - The link ends only by Close, a server's Leave with action DISCONNECT
//     or a room move (ErrRemovedByServer), or recovery given up
//     (ErrReconnectFailed, or ErrSignalLost / ErrTransportFailed with
//     rejoining off). The receiver then gets Disconnected(err) and the
//     engine fails its pending calls; a new Connect is the way back.
//
// pion logs through server-sdk-go's process-wide logger, which this package
// leaves to the application. Call SetSDKLogger(QuietSDKLogger()) (or pass a
// zap logger) unless pion's logs are wanted: with the SDK's default logger
// or logger.GetDiscardLogger(), pion formats every SCTP trace line before it
// is dropped; with the discard logger a 1 MiB echo took 174 ms instead of
// 106 ms in bench/rpc's row 2a.
package rtc
