//go:build !linux

package cpus

// affinity is 0 (unknown) where sched_getaffinity does not exist.
func affinity() int { return 0 }
