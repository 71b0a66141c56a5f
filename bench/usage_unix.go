//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// usage is a finished child's peak RSS in MB and its CPU time (user plus
// system) in seconds.
func usage(ps *os.ProcessState) (rssMB, cpu float64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0
	}
	rss := float64(ru.Maxrss) / 1024 // kB on Linux
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		rss /= 1024 // bytes there
	}
	return rss, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
