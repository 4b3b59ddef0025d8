// Package agentv1 is the generated Go code of
// example/proto/agent/v1/agent.proto, a voice agent's RPC surface: the
// messages (protoc-gen-go) and the VoiceAgent client, handler interface and
// registration (protoc-gen-lkrpc). Regenerate it with
// `go tool -modfile=tools/go.mod buf generate`; only this file is written by
// hand.
package agentv1
