//go:build race

package datastream

// raceDetector reports whether the tests run under -race, whose sync.Pool
// drops a quarter of what is put back, on purpose.
const raceDetector = true
