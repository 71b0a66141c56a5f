package vector_test

import (
	"fmt"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// realAcc builds an accelerator whose buffers are fed by a DDR4 memory
// through one adapter per buffer, as runner does for a [dram] section.
func realAcc(t *testing.T, bw int) (*components.Accelerator, [3]*dram.Adapter) {
	engine := sim.NewSerialEngine()
	freq := 1 * sim.GHz
	m, err := dram.BuildMemory(engine, freq, "NPU.Memory", dram.MemorySpec{Model: dram.AkitaDDR4})
	if err != nil {
		t.Fatal(err)
	}
	ab := m.AdapterBuilder().WithEngine(engine).WithFreq(freq).WithWordBytes(1).
		WithBytesPerCycle(bw).WithIssuePerCycle(bw)
	conn := sim.NewDirectConnection("NPU.MemConn", engine, freq)
	var ads [3]*dram.Adapter
	for i := range ads {
		ads[i] = ab.Build(fmt.Sprintf("NPU.Adapter%d", i))
		conn.PlugIn(ads[i].GetPortByName("Bottom"), m.Spec.MaxInFlight)
	}
	for _, p := range m.Ports() {
		conn.PlugIn(p, 3*m.Spec.MaxInFlight)
	}
	acc := components.NewAcceleratorBuilder().WithEngine(engine).WithSRAMKB(4, 4, 4).WithBandwidth(bw).
		WithDRAM(ads[0].GetPortByName("Top"), ads[1].GetPortByName("Top"), ads[2].GetPortByName("Top")).
		WithVectorUnit(vector.MakeBuilder()).Build("NPU")
	return acc, ads
}

// With a real memory behind the buffers, a vector layer's reads and
// writes reach the memory, word for word, and it waits for them.
func TestUnitOnRealMemory(t *testing.T) {
	acc, ads := realAcc(t, 16)
	const n = 50000
	for i := range ads {
		ads[i].ResetStats()
	}
	r, err := acc.RunVectorLayer(0, vector.Layer{Name: "add", Op: "Add", Elements: n, In: n, Aux: n})
	if err != nil {
		t.Fatal(err)
	}
	// The read buffers fetch as SCALE-Sim's do: the fill order wraps at the
	// buffer's size, so a few lines are fetched twice (at most a buffer's
	// worth); the ofmap buffer writes each result once.
	for i := range 2 {
		if got := ads[i].Stats().Words; got < n || got > n+4096 {
			t.Errorf("adapter %d read %d words, want %d to %d", i, got, n, n+4096)
		}
	}
	if got := ads[2].Stats().Words; got != n {
		t.Errorf("ofmap adapter wrote %d words, want %d", got, n)
	}
	// 32 lanes want 32 words a cycle from each input; the interface gives
	// 16: the layer takes at least twice its compute cycles
	if r.TotalCycles < 2*(r.ComputeCycles-1)-4096/16 || r.StallCycles == 0 {
		t.Errorf("compute %d stall %d total %d: the layer should wait for memory", r.ComputeCycles, r.StallCycles, r.TotalCycles)
	}
	if r.End < r.TotalCycles {
		t.Errorf("end %d before the last row %d", r.End, r.TotalCycles)
	}
}
