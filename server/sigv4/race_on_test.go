//go:build race

package sigv4

// raceDetector is set in race builds, where sync.Pool drops pooled items at
// random, so allocation counts are not the production ones.
const raceDetector = true
