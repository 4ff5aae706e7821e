// Package benchmem measures the live heap, for the benchmarks that report
// memory per row of a generated state.
package benchmem

import "runtime"

// LiveHeap returns the bytes of heap still reachable. It collects twice:
// an object with a finalizer is freed only by the collection after the one
// that finds it unreachable.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
