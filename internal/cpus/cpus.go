// Package cpus says how many CPUs this process may use, for the default
// worker counts of npusim's commands.
package cpus

import (
	"os"
	"runtime"
	"strconv"
)

// Count is the number of workers a command starts when -j is not given:
// the CPUs in the calling thread's affinity mask (what taskset, cpusets
// and Slurm's task binding leave the process; Linux only), no more than
// GOMAXPROCS (which follows a cgroup CPU quota) and, inside a Slurm job,
// no more than SLURM_CPUS_PER_TASK (Slurm may not bind tasks to their
// CPUs). It is at least 1.
func Count() int {
	n := runtime.GOMAXPROCS(0)
	if a := affinity(); a > 0 {
		n = min(n, a)
	}
	if s := os.Getenv("SLURM_CPUS_PER_TASK"); s != "" {
		if c, err := strconv.Atoi(s); err == nil && c > 0 {
			n = min(n, c)
		}
	}
	return max(n, 1)
}
