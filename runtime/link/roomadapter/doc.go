// Package roomadapter lets an application that already holds a
// server-sdk-go *lksdk.Room (v2.18.1) — typically because it also publishes
// media — use lkrpc's typed clients and handlers on that room, within what
// the stock SDK allows. It is a transport.Transport, not a link.Link:
//
//	adapter, err := roomadapter.New(room, nil) // nil: log to slog.Default()
//	client := agentv1.NewVoiceAgentClient(adapter, "agent")
//	unregister, err := agentv1.RegisterVoiceAgentHandler(adapter, impl)
//
// # What it supports (RPC v1 only)
//
//   - Calls through LocalParticipant.PerformRpc: one RpcRequest packet,
//     payloads up to 15360 bytes, the SDK's own 7 s ack timer and pending
//     table; the response timeout is Call.Timeout, else the context's
//     deadline, else 15 s. Application errors come back with code, message
//     and data; the built-in codes (1400, 1501, 1502, 1503, …) are the
//     SDK's.
//   - Handlers through Room.RegisterRpcCtxMethod: requests arrive as
//     RpcRequest packets; the adapter fills transport.Request with the
//     caller's identity, request id, advisory timeout and, from the room's
//     participant table, the caller's kind and attributes (so lkrpc's
//     authorizers work). Replies go back as RpcResponse packets: over 15360
//     bytes the SDK answers 1504 instead; an *rpcerr.Error goes back as is
//     (message cut to 256 bytes, data to 15360), any other error as 1500.
//
// Every peer interoperates at these sizes: the stock room advertises client
// protocol 0, so livekit-client (≥ 2.19), rtc-node and lkrpc's engine send
// it v1 request packets and answer its calls with v1 response packets
// (PROTOCOL.md §3.6); none sends it a stream.
//
// # What it cannot do, and fails at once
//
// The stock SDK cannot advertise client protocol 1 or 2, cannot read a
// remote participant's client protocol, and keeps the acks and responses
// of calls it did not start to itself. So the adapter cannot send or
// receive RPC v2 data streams; consequently:
//
//   - a request over 15360 bytes fails at once with 1402, before anything
//     is sent;
//   - Call with transport.FormStream fails at once with 1505;
//   - a reply over 15360 bytes reaches the caller as 1504.
//
// Each of these errors names runtime/link/rtc, the participant link that
// joins the room with lkrpc's own protocol engine (v1 and v2, streams to
// 64 MiB, deflate): an application that needs large payloads joins the
// room a second time through it, as a data-only participant beside its
// media participant.
//
// Known defect of the stock SDK, inherited: PerformRpc publishes the
// request before it registers the pending call, so an ack (or a response)
// that arrives in between is dropped and the call fails with 1501 after
// 7 s although the peer ran the handler. It is rare (a fast peer and a
// descheduled caller goroutine; seen once in a dozen -race runs against
// rtc-node) and cannot be fixed from outside the SDK; the participant link
// registers before it publishes. Retry only idempotent calls on 1501.
//
// Context cancellation: PerformRpc takes no context, so when ctx ends first
// Call returns at once with the context's error while the SDK's call runs
// on until its own response timeout.
package roomadapter
