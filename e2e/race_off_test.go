//go:build !race

package e2e

// raceDetector reports whether the tests run under -race.
const raceDetector = false
