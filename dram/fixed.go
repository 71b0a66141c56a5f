package dram

import (
	"math"

	"github.com/npusim/npusim/dram/dramsim"
)

// timingModel is what the Controller asks of a memory's timing: DRAMsim3's
// (dramsim.Model) or a fixed latency (fixedModel). Cycles are the memory's.
type timingModel interface {
	Tick(t int64)
	NextCycle(t int64) int64
	WillAccept(addr uint64, write bool) bool
	Add(addr uint64, write bool, id, t int64) (done int64, known bool)
	Waiting() int
	Progress() int64
	MayForward(lo, hi uint64) bool
	PendingCount(write bool) int
	Stats() dramsim.Stats
}

// fixedHops is what a fixed memory adds to its Latency: the cycle a
// request took to reach akita's controller and the cycle its answer took
// back, in the adapter wiring this model replaces (docs/real-memory.md:
// a fixed memory's request latency is Latency + 2).
const fixedHops = 2

type fixedSpec struct {
	latency            int64
	width, maxInFlight int
	reqBytes           int
}

// fixedModel is a fixed-latency memory: up to width requests per cycle,
// while fewer than maxInFlight are outstanding, each complete latency
// cycles after they are taken. It has no events of its own, so the
// controller evaluates it only when a request arrives or a refused one can
// be taken.
type fixedModel struct {
	fixedSpec
	cycle    int64
	count    int     // requests taken in cycle
	done     []int64 // completion cycles of the outstanding requests, ascending
	stats    dramsim.Stats
	progress int64
}

func (f *fixedModel) Tick(t int64) {
	if t != f.cycle {
		f.cycle, f.count = t, 0
	}
	i := 0
	for i < len(f.done) && f.done[i] <= t {
		i++
	}
	f.done = f.done[:copy(f.done, f.done[i:])]
}

func (f *fixedModel) NextCycle(t int64) int64 {
	n := int64(math.MaxInt64)
	if f.count >= f.width {
		n = t + 1
	}
	if len(f.done) >= f.maxInFlight {
		n = min(n, f.done[0])
	}
	return n
}

func (f *fixedModel) WillAccept(uint64, bool) bool {
	return f.count < f.width && len(f.done) < f.maxInFlight
}

func (f *fixedModel) Add(_ uint64, write bool, _, t int64) (int64, bool) {
	f.count++
	f.progress = t
	// Plus the two port hops a request and its answer took between an
	// adapter and akita's controller, which this model replaces.
	done := t + f.latency + fixedHops
	f.done = append(f.done, done)
	if write {
		f.stats.Writes++
		f.stats.WriteCmds++
	} else {
		f.stats.Reads++
		f.stats.ReadCmds++
	}
	return done, true
}

func (f *fixedModel) Waiting() int                  { return 0 }
func (f *fixedModel) Progress() int64               { return f.progress }
func (f *fixedModel) MayForward(lo, hi uint64) bool { return false }
func (f *fixedModel) PendingCount(bool) int         { return 0 }
func (f *fixedModel) Stats() dramsim.Stats          { return f.stats }
