// Package roomservice lets a backend that never joins the room — an HTTP
// handler, a job, a CLI — call a participant's methods through lkrpc's
// generated clients. It is a transport.Transport (calls only) on
// livekit-server's RoomService PerformRpc API (Twirp, authenticated with a
// token carrying a RoomAdmin grant for the room, signed per call with the
// API key and secret):
//
//	t, err := roomservice.New(url, apiKey, apiSecret, "my-room")
//	status, err := agentv1.NewVoiceAgentClient(t, "agent").GetStatus(ctx, &agentv1.GetStatusRequest{})
//
// # What the server does
//
// The server sends the participant one RPC v1 request packet from a caller
// identity of its own (the request id, with no participant SID) and relays the participant's RpcResponse as the
// HTTP answer: a payload on success, a Twirp error whose message is
// "RpcError <code>: <message>[: <data>]" on failure. Call turns the latter
// back into an *rpcerr.Error with the participant's code, message and data,
// so lkrpc.ErrorDetails works on typed errors. The server keeps its own
// RPC timers: 2 s for the ack (1501), the response timeout passed on from
// the call (1502).
//
// # Limits
//
//   - RPC v1 only. A request over 15360 bytes fails at once with 1402 and
//     Call with transport.FormStream or FormInline at once with 1505;
//     nothing is sent. Replies over 15360 bytes cannot come back either:
//     the handler answers 1504 at once (a stock SDK handler checks the
//     size; lkrpc's engine also tells the server's caller, whose identity
//     is the request id and which has no SID, from a participant the room
//     has not announced yet, and says so in the error's data). Join the room with
//     lkrpc.Connect (runtime/link/rtc) for RPC v2 streams up to 64 MiB.
//   - No handlers: Register fails, since serving needs a participant in
//     the room (lkrpc.Connect).
//   - Data and message are recovered from the server's error text. A
//     message that contains ": " followed by data that is not JSON cannot
//     be told apart from its data; the text is split at the first ": ".
//     lkrpc's typed details (JSON) are split correctly.
//   - A handler slower than 3 s runs more than once. The server relays
//     PerformRpc on its internal bus with retries (livekit-server's psrpc
//     defaults: 3 attempts waiting 3 s, 5 s, 7 s) and sends the participant
//     the request again on each; the call ends with the first reply the
//     current attempt gets. Measured: a 4 s handler with a 15 s timeout
//     ran twice and the call succeeded after 7 s. Keep handlers a backend
//     calls fast or idempotent, or raise psrpc.timeout in the server's
//     config. The transport passes its deadline to the server
//     (X-Twirp-Timeout-Ms), so the retries stop when the caller gives up.
//   - A destination that is not in the room (or a room that does not
//     exist) is answered by the server after about 3 s with "no response
//     from servers"; Call reports it as 1401.
//   - Each call is one HTTP request; the server may be far from the
//     participant, and a call costs a few milliseconds more than on a
//     joined link.
//
// Known defect of livekit-server v1.13.5, inherited: its PerformRpc sends
// the request packet before it registers the pending ack and response, so
// an ack from a fast participant that arrives in between is dropped and the
// call fails with 1501 after 2 s although the handler ran (pkg/rtc's
// ParticipantImpl.PerformRpc; seen once in about 80 calls to a participant
// on the same machine). Retry only idempotent calls on 1501.
//
// Cancelling ctx aborts the HTTP request and Call returns at once with
// rpcerr.FromContext's error; the participant's handler is not told and
// runs to its end.
package roomservice
