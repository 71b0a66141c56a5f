//go:build !unix

package main

import "os"

// usage reports what the platform tells of a finished child: its CPU time
// (user plus system); peak RSS is not available here and reads 0.
func usage(ps *os.ProcessState) (rssMB, cpu float64) {
	return 0, (ps.UserTime() + ps.SystemTime()).Seconds()
}
