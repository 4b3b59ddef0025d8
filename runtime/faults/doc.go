// Package faults holds lkrpc's fault matrix: tests that break the in-memory
// room (runtime/link/memroom) in one way each — a peer leaving mid-stream,
// lost, duplicated or reordered packets, malformed streams, oversized
// payloads, panicking handlers, late answers, a lost link — and check that
// every call still ends exactly once, with the documented error code, within
// a stated time bound, and that no goroutine is left behind.
//
// The package has no API; FAULTS.md lists each case with its expected code,
// its bound and the test that checks it, and TestFaultsMapComplete keeps the
// table and the tests in step.
package faults
