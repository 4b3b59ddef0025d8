// Package e2e holds lkrpc's end-to-end tests against a real livekit-server
// and real peers: the protocol engine on the participant link
// (runtime/link/peer) talking to stock server-sdk-go participants and to
// another engine. The scripts beside it set the environment up:
//
//	e2e/install.sh                 # livekit-server v1.13.5, Chromium, npm deps
//	LKRPC_E2E=1 go test ./e2e/     # re-runs itself inside e2e/netns.sh
//
// Without LKRPC_E2E=1 every test here skips, naming the variable.
package e2e
