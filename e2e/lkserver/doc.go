// Package lkserver runs the end-to-end test environment from Go tests: a
// real livekit-server (v1.13.5, installed by e2e/install.sh) inside a
// private network namespace (e2e/netns.sh), tokens for it, and a room name
// per test.
//
// A test package that talks to the server does this:
//
//	func TestMain(m *testing.M) { os.Exit(lkserver.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := lkserver.Require(t) // skips unless LKRPC_E2E=1
//		room := lkserver.RoomName(t)
//		token := srv.Token(t, "alice", room)
//		...
//	}
//
// With LKRPC_E2E=1, Main re-executes the test binary inside e2e/netns.sh
// (unless already inside), starts one server for the package, runs the
// tests and stops the server by its PID. Without it every test skips at
// once, naming the variable, so plain `go test ./...` needs no server.
//
// For fault tests, Server.Kill and Restart end and restart the server, and
// Server.SignalProxy puts a TCP relay in front of its signal port that can
// reset a link's signal connection as a network failure would.
package lkserver
