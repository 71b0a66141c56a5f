package components_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sarchlab/akita/v3/mem/idealmemcontroller"
	"github.com/sarchlab/akita/v3/mem/mem"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// sharedMemory is an HBM2 memory with one adapter per operand, its
// controllers and adapters' memory side on one connection; the adapters'
// Top ports serve any number of accelerators plugged into userConn.
type sharedMemory struct {
	adapters [3]*dram.Adapter
	userConn *sim.DirectConnection
}

func newSharedMemory(t testing.TB, engine sim.Engine, freq sim.Freq) *sharedMemory {
	t.Helper()
	m, err := dram.BuildMemory(engine, freq, "Mem", dram.MemorySpec{Model: dram.AkitaHBM2, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	memConn := sim.NewDirectConnection("MemConn", engine, freq)
	s := &sharedMemory{userConn: sim.NewDirectConnection("UserConn", engine, freq)}
	for i := range s.adapters {
		a := m.AdapterBuilder().WithEngine(engine).WithFreq(freq).WithBytesPerCycle(4).WithIssuePerCycle(4).
			Build(fmt.Sprintf("Mem.Adapter%d", i))
		s.adapters[i] = a
		memConn.PlugIn(a.GetPortByName("Bottom"), m.Spec.MaxInFlight)
		s.userConn.PlugIn(a.GetPortByName("Top"), 8)
	}
	for _, p := range m.Ports() {
		memConn.PlugIn(p, 3*m.Spec.MaxInFlight)
	}
	return s
}

func (s *sharedMemory) ports() (sim.Port, sim.Port, sim.Port) {
	return s.adapters[0].GetPortByName("Top"), s.adapters[1].GetPortByName("Top"), s.adapters[2].GetPortByName("Top")
}

// attach builds an accelerator on the shared memory and plugs its memory
// ports into the user's connection.
func (s *sharedMemory) attach(b components.Builder, name string) *components.Accelerator {
	acc := b.WithMemoryPorts(s.ports()).Build(name)
	for _, p := range acc.MemoryPorts() {
		s.userConn.PlugIn(p, 4)
	}
	return acc
}

var sharedLayerA, sharedLayerB = systolic.GEMM("fcA", 48, 24, 96), systolic.GEMM("fcB", 40, 32, 64)

// sharedRun runs layer A on one accelerator and layer B on another, both
// on one HBM2 memory through one user connection (B absent if !both), and
// returns their results.
func sharedRun(t *testing.T, engine sim.Engine, both bool) []systolic.LayerResult {
	t.Helper()
	mem := newSharedMemory(t, engine, 1*sim.GHz)
	host := newTestHost(engine)
	ctrl := sim.NewDirectConnection("HostConn", engine, 1*sim.GHz)
	ctrl.PlugIn(host.port, 4)
	a := mem.attach(swapBuilder(engine), "NPUA")
	ctrl.PlugIn(a.ControlPort(), 4)
	ids := []string{host.run(a.ControlPort(), sharedLayerA)}
	if both {
		b := mem.attach(cosimSmall.WithEngine(engine), "NPUB")
		ctrl.PlugIn(b.ControlPort(), 4)
		ids = append(ids, host.run(b.ControlPort(), sharedLayerB))
	}
	host.TickLater(0)
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}
	var res []systolic.LayerResult
	for _, id := range ids {
		rsp := host.rsps[id]
		if rsp == nil || rsp.Err != nil {
			t.Fatalf("no answer, or an error: %+v", rsp)
		}
		res = append(res, rsp.Result)
	}
	return res
}

// TestSharedMemoryPorts: two accelerators share one memory's ports through
// one connection of the caller's. Sharing slows the first down (it was
// refused before: the builder plugged the ports into a connection of each
// accelerator's, and the second took them over), and the shared run gives
// the same figures every time, on the serial and on the parallel engine.
func TestSharedMemoryPorts(t *testing.T) {
	alone := sharedRun(t, sim.NewSerialEngine(), false)
	shared := sharedRun(t, sim.NewSerialEngine(), true)
	if shared[0].TotalCycles < alone[0].TotalCycles {
		t.Errorf("sharing the memory made NPUA faster: %d cycles shared, %d alone", shared[0].TotalCycles, alone[0].TotalCycles)
	}
	if shared[0].TotalCycles == alone[0].TotalCycles {
		t.Errorf("test setup: sharing the memory does not slow NPUA down (%d cycles)", alone[0].TotalCycles)
	}
	runs := 20
	if testing.Short() {
		runs = 3
	}
	for i := 0; i < runs; i++ {
		got := sharedRun(t, sim.NewParallelEngine(), true)
		if fmt.Sprint(got) != fmt.Sprint(shared) {
			t.Fatalf("parallel run %d:\n%+v\nserial:\n%+v", i, got, shared)
		}
	}
}

// TestBuilderRefuses: a memory port at another clock, CALC mode with a
// replaced memory and an incomplete WithMemoryPorts are errors.
func TestBuilderRefuses(t *testing.T) {
	engine := sim.NewSerialEngine()
	mem := newSharedMemory(t, engine, 2*sim.GHz)
	b := swapBuilder(engine)
	for want, bad := range map[string]components.Builder{
		"counts bursts at 2e+09 Hz, the accelerator runs at 1e+09 Hz": b.WithMemoryPorts(mem.ports()),
		"CALC mode (bandwidth 0) works with the ideal channels only":  b.WithFreq(2 * sim.GHz).WithBandwidth(0).WithDRAM(mem.ports()),
		"WithMemoryPorts needs all three ports, the OFMAP one is nil": b.WithFreq(2*sim.GHz).WithMemoryPorts(mem.adapters[0].GetPortByName("Top"), mem.adapters[1].GetPortByName("Top"), nil),
	} {
		err := bad.Check()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %v, want an error containing %q", err, want)
		}
	}
	if err := b.WithFreq(2 * sim.GHz).WithMemoryPorts(mem.ports()).Check(); err != nil {
		t.Errorf("matching clocks: %v", err)
	}
}

// TestRequestWithoutID: a RunLayerReq without an ID is answered with an
// error, not with a result nobody can match.
func TestRequestWithoutID(t *testing.T) {
	engine := sim.NewSerialEngine()
	acc := swapBuilder(engine).Build("NPU")
	host := newTestHost(engine)
	conn := sim.NewDirectConnection("HostConn", engine, 1*sim.GHz)
	conn.PlugIn(host.port, 4)
	conn.PlugIn(acc.ControlPort(), 4)
	req := &systolic.RunLayerReq{Index: 3, Layer: swapLayer}
	req.Src, req.Dst = host.port, acc.ControlPort()
	host.pending = append(host.pending, req)
	host.TickLater(0)
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}
	rsp := host.rsps[""]
	if rsp == nil || rsp.Err == nil || !strings.Contains(rsp.Err.Error(), "RunLayerReq has no ID") {
		t.Fatalf("answer %+v, want an error saying the request has no ID", rsp)
	}
	if rsp.Result.TotalCycles != 0 {
		t.Errorf("the layer ran: %+v", rsp.Result)
	}
	built := systolic.MakeRunLayerReqBuilder().WithSrc(host.port).WithDst(acc.ControlPort()).WithLayer(swapLayer).Build()
	if built.ID == "" || built.Src != host.port || built.Dst != acc.ControlPort() {
		t.Errorf("MakeRunLayerReqBuilder built %+v", built)
	}
}

// TestResetStatsCoversMemory: RunLayer starts each layer's statistics
// afresh in the adapters behind the memory ports too.
func TestResetStatsCoversMemory(t *testing.T) {
	engine := sim.NewSerialEngine()
	mem := newSharedMemory(t, engine, 1*sim.GHz)
	acc := mem.attach(swapBuilder(engine), "NPU")
	var first [3]int64
	for i := 0; i < 2; i++ {
		if _, err := acc.RunLayer(i, sharedLayerA); err != nil {
			t.Fatal(err)
		}
		for op, a := range mem.adapters {
			got := a.Stats().Bursts
			if got == 0 {
				t.Fatalf("operand %d: no bursts", op)
			}
			if i == 0 {
				first[op] = got
			} else if got != first[op] {
				t.Errorf("operand %d: %d bursts for the second layer, %d for the first: not reset", op, got, first[op])
			}
		}
	}
}

// TestNoStorageWritesWhenTiming: an adapter that only times the traffic
// leaves what another component stored in memory as it was (its writes'
// dirty masks set no byte); one asked for a functional co-simulation
// (WithWriteData) stores the payload it is given.
func TestNoStorageWritesWhenTiming(t *testing.T) {
	for _, functional := range []bool{false, true} {
		engine := sim.NewSerialEngine()
		m, err := dram.BuildMemory(engine, 1*sim.GHz, "Mem", dram.MemorySpec{Model: dram.Fixed, Latency: 10, Channels: 2})
		if err != nil {
			t.Fatal(err)
		}
		conn := sim.NewDirectConnection("Conn", engine, 1*sim.GHz)
		for _, p := range m.Ports() {
			conn.PlugIn(p, 64)
		}
		ab := m.AdapterBuilder().WithEngine(engine).WithFreq(1 * sim.GHz).WithBytesPerCycle(4)
		if functional {
			ab = ab.WithWriteData(func(addr uint64, data []byte) {
				for i := range data {
					data[i] = 0xAB
				}
			})
		}
		var tops [3]sim.Port
		for i := range tops {
			a := ab.Build(fmt.Sprintf("Adapter%d", i))
			conn.PlugIn(a.GetPortByName("Top"), 8)
			conn.PlugIn(a.GetPortByName("Bottom"), 64)
			tops[i] = a.GetPortByName("Top")
		}
		acc := swapBuilder(engine).WithMemoryPorts(tops[0], tops[1], tops[2]).Build("NPU")
		for _, p := range acc.MemoryPorts() {
			conn.PlugIn(p, 4)
		}
		// what another component stored where the ofmap goes
		l := systolic.GEMM("fc", 32, 16, 64)
		base, n := uint64(acc.Offsets.Ofmap), uint64(32*16)
		cell := func(addr uint64) (*mem.Storage, uint64) {
			for i, p := range m.Ports() {
				if m.Finder.Find(addr) == p {
					c := m.Controllers[i].(*idealmemcontroller.Comp)
					return c.Storage, mem.InterleavingConverter{InterleavingSize: uint64(m.Spec.RequestBytes),
						TotalNumOfElements: m.Spec.Channels, CurrentElementIndex: i}.ConvertExternalToInternal(addr)
				}
			}
			t.Fatalf("no controller for %d", addr)
			return nil, 0
		}
		for a := base; a < base+n; a++ {
			s, in := cell(a)
			if err := s.Write(in, []byte{0x5A}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := acc.RunLayer(0, l); err != nil {
			t.Fatal(err)
		}
		want := byte(0x5A)
		if functional {
			want = 0xAB
		}
		for a := base; a < base+n; a++ {
			s, in := cell(a)
			got, err := s.Read(in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != want {
				t.Fatalf("functional %v: byte %d holds %#x after the layer, want %#x", functional, a, got[0], want)
			}
		}
	}
}
