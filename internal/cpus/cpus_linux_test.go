package cpus

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCountFollowsAffinity narrows this thread's affinity mask to one CPU
// (as taskset -c 0 or a Slurm task bound to one CPU would) and checks that
// Count follows it, and that SLURM_CPUS_PER_TASK caps it.
func TestCountFollowsAffinity(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Skipf("sched_getaffinity: %v", err)
	}
	t.Setenv("SLURM_CPUS_PER_TASK", "")
	if got, want := Count(), min(all.Count(), runtime.GOMAXPROCS(0)); got != want {
		t.Errorf("Count() = %d with %d CPUs in the mask, want %d", got, all.Count(), want)
	}
	var one unix.CPUSet
	for c := range 1024 {
		if all.IsSet(c) {
			one.Set(c)
			break
		}
	}
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Skipf("sched_setaffinity: %v", err)
	}
	defer unix.SchedSetaffinity(0, &all)
	if got := Count(); got != 1 {
		t.Errorf("Count() = %d with one CPU in the affinity mask, want 1", got)
	}
	unix.SchedSetaffinity(0, &all)
	if all.Count() >= 2 && runtime.GOMAXPROCS(0) >= 2 {
		t.Setenv("SLURM_CPUS_PER_TASK", "1")
		if got := Count(); got != 1 {
			t.Errorf("Count() = %d with SLURM_CPUS_PER_TASK=1, want 1", got)
		}
	}
}
