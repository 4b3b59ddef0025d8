// Package runtime is what lkrpc's generated code calls: typed clients and
// handlers on top of a transport.Transport (the protocol engine). It owns the
// codecs, the error type with typed details, interceptors, call and handler
// options, and the caller information put in a handler's context.
//
// Generated code imports it as lkrpc, and so do applications:
//
//	import lkrpc "github.com/lkrpc/lkrpc/runtime"
//
// # Connecting
//
// A participant joins a room with one call and leaves it by closing one
// thing. Connect joins a real LiveKit room with a token; ConnectMemory joins
// the in-memory room of package memroom (tests, demos, one-process
// programs). Both return a *Conn, which owns its link to the room and the
// protocol engine on it, and which generated code takes as its Transport:
//
//	conn, err := lkrpc.Connect(ctx, url, token)
//	defer conn.Close()
//	unregister, err := agentv1.RegisterVoiceAgentHandler(conn, myAgent{})
//	status, err := agentv1.NewVoiceAgentClient(conn, "agent").GetStatus(ctx, &agentv1.GetStatusRequest{})
//
// # Discovery
//
// A registration on a Conn advertises the services it serves in the
// participant attribute of package discovery ("lkrpc.services"), and
// unregistering takes them back, so others can tell what a participant
// serves before calling it: Serves and WaitServes read it.
//
//	ok := conn.Serves("agent", agentv1.VoiceAgentServiceName)
//
// Publishing needs a token with canUpdateOwnMetadata; without it the Conn
// warns once and serves anyway (WithDiscovery(false) turns advertising
// off). The attribute is published in the background: Register never waits
// for the room.
//
// # Join window
//
// LiveKit tells a room about a participant that publishes no media up to
// about 3 s after it joined, and until then nobody knows which client
// protocol it speaks. lkrpc needs no waiting from the application in that
// window, in either direction: a call to a participant the room has not
// announced yet waits for the announcement (within the call's deadlines)
// before choosing how to send; and a request that arrives as RPC v2 proves
// that its caller speaks it, so the reply goes back in a form it accepts
// even when the room has not announced the caller yet.
//
// # Payloads
//
// Requests are protojson by default (what a browser writes with
// JSON.stringify) or binary protobuf in base64 (WithCodec, or the method's
// codec option); see package codec. A handler accepts both and answers in
// the form of the request; an empty request payload (an empty message in
// binary, or a JavaScript caller that sent nothing) is answered in the
// method's codec. A caller decodes whichever form the reply is in.
//
// # Errors
//
// Every RPC failure is an *Error (code, message, data), found with
// errors.As or rpcerr.From. Codes 1400–1505 are the LiveKit SDKs' built-in
// codes; 2400, 2401 and 2403 are lkrpc's own (MalformedRequest,
// MalformedResponse, PermissionDenied); applications use any other code,
// with typed details through NewError and ErrorDetails.
//
// How Go failures map to what a caller sees:
//
//	failure                                     side     caller gets
//	------------------------------------------  -------  ---------------------------------------------
//	ctx deadline passes (before or during call) caller   *Error 1502 ResponseTimeout "Response timeout"
//	ctx cancelled                               caller   Go error wrapping context.Canceled (no code)
//	request message does not encode             caller   Go error naming the method (no code), not sent
//	encoded request > Method.MaxRequestBytes    caller   *Error 1402, not sent
//	reply payload > Method.MaxResponseBytes     caller   *Error 1504
//	reply does not decode into the response     caller   *Error 2401 MalformedResponse
//	request payload > Method.MaxRequestBytes    handler  *Error 1402 (handler not run)
//	an authorizer refuses                       handler  *Error 2403 "Permission denied", or the *Error
//	                                                     the authorizer returned
//	request does not decode (bad JSON/base64/   handler  *Error 2400 MalformedRequest; message says why
//	  protobuf, wrong field types)
//	handler returns an *Error (maybe wrapped)   handler  that *Error as is (message cut to 256 bytes,
//	                                                     data to 15360 by the transport)
//	handler returns context.DeadlineExceeded    handler  *Error 1502 "Response timeout"
//	handler returns any other error             handler  *Error 1500 "Application error in method
//	                                                     handler"; the Go text is logged, not sent,
//	                                                     unless WithErrorText(true) sends err.Error()
//	handler panics                              handler  *Error 1500 as above; recovered and logged
//	                                                     with its stack; the process goes on
//	response message does not encode            handler  *Error 1500 as for any other error
//	encoded response > Method.MaxResponseBytes  handler  *Error 1504 "Response payload too large"
//	handler not registered / Unimplemented      handler  *Error 1400 "Method not supported at
//	                                                     destination"
//
// The transport adds the protocol's own failures (1401, 1402 on the v1 path,
// 1404, 1501, 1503, 1505); they pass through unchanged.
//
// # Authorization
//
// WithAuthorizer restricts who may call a registration's methods; every
// authorizer given must allow a call. Caller carries what the room's server
// says about the caller (identity, kind, attributes), never what the caller
// wrote, and AllowIdentities, AllowKinds and RequireAttribute are the
// common checks:
//
//	lkrpc.Register(t, descs,
//		lkrpc.WithAuthorizer(lkrpc.AllowKinds("AGENT")),
//		lkrpc.WithAuthorizer(lkrpc.RequireAttribute("role", "dispatcher")))
//
// A refusal is 2403 "Permission denied"; its reason is logged and reaches
// the caller only with WithErrorText(true).
//
// # Interceptors
//
// Client and server interceptors run in the order given, the first
// outermost; a client's options run outside a call's. Server interceptors
// run after the authorizers and after decoding, so they see typed requests.
package runtime
