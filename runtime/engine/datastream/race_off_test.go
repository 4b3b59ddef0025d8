//go:build !race

package datastream

const raceDetector = false
