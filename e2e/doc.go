// Package e2e holds lkrpc's end-to-end tests against a real livekit-server
// and real peers: the interop matrix (the protocol engine on the participant
// link, runtime/link/rtc, against livekit-client 2.23.0 and 2.18.10 in
// headless Chromium, @livekit/rtc-node 1.1.0 and a stock server-sdk-go
// room, with every case's transport checked on the wire), engine against
// engine, the runtime's authorizers on real participant kinds and
// attributes, and the stock-Room adapter (runtime/link/roomadapter). The
// scripts beside it set the environment up:
//
//	e2e/install.sh                 # livekit-server v1.13.5, Chromium, npm ci
//	LKRPC_E2E=1 go test ./e2e/     # re-runs itself inside e2e/netns.sh
//
// Without LKRPC_E2E=1 every test here skips, naming the variable.
package e2e
