//go:build race

package e2e

// raceDetector reports whether the tests run under -race, which makes
// compress/flate about 30 times slower (10 MiB of text: 0.2 s → 6.5 s).
const raceDetector = true
