// Package faults is the fault matrix on a real livekit-server: what the
// protocol engine on the participant link does when a peer leaves in the
// middle of a stream through the SFU, when a signal connection drops (and
// resumes, or cannot), and when the server dies under a call. Each case
// checks that the call ends exactly once, with the code
// runtime/faults/FAULTS.md documents, within its bound, and that no
// goroutine is left behind.
//
// The cases the in-memory room can stage (chunk gaps, malformed streams,
// limits, lost acks, …) are in runtime/faults; this package has the ones
// that need real links and a real SFU. It is its own test package because
// one test kills the server, which each test package owns (one per
// package, in its own network namespace), and because its tests count the
// process's goroutines and so run one at a time.
package faults
