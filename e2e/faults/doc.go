// Package serverloss tests what the participant link and the engine do when
// the livekit-server dies under them. It is its own package because its
// tests kill the server, which each test package owns (one per package,
// each in its own network namespace).
package serverloss
