package dram

import (
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// stream runs one sequential read (or write) burst of n bytes through a
// memory with an unlimited interface and returns the burst's Done and the
// adapter's statistics.
func stream(t testing.TB, spec MemorySpec, n int64, write bool) (int64, AdapterStats, *memRig) {
	b := mkBurst(write, 10, 0, protocol.AddrRange{Start: 4096, End: 4096 + n})
	r := newMemRig(t, spec, 1, 0, []*protocol.BurstReq{b})
	r.run(t)
	return r.drv.done[b.ID], r.adapter.Stats(), r
}

// TestStreamBandwidth streams 64 kB through each model: the achieved
// bandwidth never exceeds the model's peak, more channels never make the
// stream slower, and the bank interleaving lets one DDR4 channel reach a
// useful share of its peak (akita's close-page controller serialises
// requests to one bank tRC apart, about a tenth of the peak).
func TestStreamBandwidth(t *testing.T) {
	const n = 64 << 10
	for _, model := range []string{Fixed, AkitaDDR4, AkitaHBM2} {
		prev := int64(0)
		for _, ch := range []int{1, 2, 4, 8} {
			for _, write := range []bool{false, true} {
				spec := MemorySpec{Model: model, Channels: ch, Latency: 30, MaxInFlight: 256}
				done, s, r := stream(t, spec, n, write)
				peak := r.memory.PeakBytesPerCycle(1 * sim.GHz)
				bw := float64(n) / float64(done)
				t.Logf("%s %d ch write=%v: done %d, %.1f B/cycle of %.1f peak (%.0f%%), latency mean %.1f p99 %d",
					model, ch, write, done, bw, peak, 100*bw/peak, s.MeanLatency, s.P99Latency)
				if bw > peak {
					t.Errorf("%s %d channels: %.2f B/cycle, above the peak %.2f", model, ch, bw, peak)
				}
				if !write {
					if prev > 0 && done > prev {
						t.Errorf("%s: %d channels take %d cycles, %d channels %d", model, ch, done, ch/2, prev)
					}
					prev = done
				}
				if model == AkitaDDR4 && ch == 1 && bw < 0.3*peak {
					t.Errorf("one DDR4 channel streams %.1f B/cycle, under 30%% of its %.1f peak: banks not interleaved?", bw, peak)
				}
			}
		}
	}
}

// TestStreamDeterministic runs the same DDR4 and HBM2 streams twice.
func TestStreamDeterministic(t *testing.T) {
	for _, model := range []string{AkitaDDR4, AkitaHBM2} {
		d1, s1, _ := stream(t, MemorySpec{Model: model}, 64<<10, false)
		d2, s2, _ := stream(t, MemorySpec{Model: model}, 64<<10, false)
		if d1 != d2 || s1 != s2 {
			t.Errorf("%s: runs differ: done %d vs %d, stats %+v vs %+v", model, d1, d2, s1, s2)
		}
	}
}

// TestAdapterSleeps checks that an adapter waiting for a slow memory or
// for a burst's start does not tick: its ticks stay within a few per
// request, however long the waits.
func TestAdapterSleeps(t *testing.T) {
	bursts := []*protocol.BurstReq{
		mkBurst(false, 0, 0, protocol.AddrRange{Start: 0, End: 640}),
		mkBurst(true, 0, 50_000, protocol.AddrRange{Start: 1 << 20, End: 1<<20 + 640}),
	}
	r := newMemRig(t, MemorySpec{Model: Fixed, Latency: 10_000}, 1, 0, bursts)
	ticks := &tickCounter{of: r.adapter.TickingComponent}
	r.engine.AcceptHook(ticks)
	r.run(t)
	s := r.adapter.Stats()
	if s.Requests != 20 {
		t.Fatalf("%d requests, want 20", s.Requests)
	}
	if ticks.n > 4*s.Requests {
		t.Errorf("adapter ticked %d times for %d requests", ticks.n, s.Requests)
	}
	if d := r.drv.done[bursts[1].ID]; d < 50_000+10_000 {
		t.Errorf("write burst due at 50000 done at %d, before its start plus the latency", d)
	}
}

type tickCounter struct {
	of sim.Handler
	n  int64
}

func (c *tickCounter) Func(ctx sim.HookCtx) {
	if e, ok := ctx.Item.(sim.TickEvent); ok && ctx.Pos == sim.HookPosBeforeEvent && e.Handler() == c.of {
		c.n++
	}
}

// TestBankInterleaver checks that the permutation is a bijection that
// keeps the byte offset and the controller, and that consecutive blocks of
// a controller go to distinct banks of akita's mapping (the bank field
// sits ColBits above the block).
func TestBankInterleaver(t *testing.T) {
	for _, c := range []BankInterleaver{
		{UnitBytes: 64, Channels: 1, BankBits: 4, ColBits: 7},
		{UnitBytes: 64, Channels: 4, BankBits: 4, ColBits: 4},
		{UnitBytes: 128, Channels: 8, BankBits: 2, ColBits: 5},
	} {
		seen := map[uint64]bool{}
		span := c.UnitBytes * c.Channels << (c.BankBits + c.ColBits + 1)
		for a := uint64(0); a < span; a += 8 {
			in := c.ConvertExternalToInternal(a)
			if seen[in] {
				t.Fatalf("%+v: %#x maps onto an address already used", c, a)
			}
			seen[in] = true
			if back := c.ConvertInternalToExternal(in); back != a {
				t.Fatalf("%+v: %#x -> %#x -> %#x", c, a, in, back)
			}
			if in%c.UnitBytes != a%c.UnitBytes || (in/c.UnitBytes)%c.Channels != (a/c.UnitBytes)%c.Channels {
				t.Fatalf("%+v: %#x -> %#x changes the offset or the controller", c, a, in)
			}
		}
		for ch := range c.Channels {
			banks := map[uint64]bool{}
			for k := range uint64(1) << c.BankBits {
				in := c.ConvertExternalToInternal((k*c.Channels + ch) * c.UnitBytes)
				banks[(in/c.UnitBytes>>c.ColBits)&(1<<c.BankBits-1)] = true
			}
			if len(banks) != 1<<c.BankBits {
				t.Errorf("%+v: %d consecutive blocks of controller %d use %d banks", c, 1<<c.BankBits, ch, len(banks))
			}
		}
	}
}

func TestMemorySpecErrors(t *testing.T) {
	for _, tc := range []struct {
		spec MemorySpec
		want string
	}{
		{MemorySpec{Model: "ddr5"}, `Model: unknown value "ddr5" (allowed: ideal, fixed, ddr4, hbm2, lpddr4, akita-ddr4, akita-hbm2, or Config = FILE.ini)`},
		{MemorySpec{Model: AkitaDDR4, Channels: -1}, "Channels: must be positive, got -1"},
		{MemorySpec{Model: Fixed, Latency: -3}, "Latency: must be >= 0, got -3"},
		{MemorySpec{Model: Fixed, RequestBytes: 48}, "RequestBytes: must be a power of two, got 48"},
		{MemorySpec{Model: AkitaHBM2, RequestBytes: 32}, "RequestBytes: must be at least 64 (the akita-hbm2 access unit), got 32"},
		{MemorySpec{Model: AkitaHBM2, Channels: 6}, "Channels: must be a power of two up to 16 for akita-hbm2 with 64-byte requests, got 6"},
		{MemorySpec{Model: AkitaHBM2, Channels: 32}, "Channels: must be a power of two up to 16 for akita-hbm2 with 64-byte requests, got 32"},
	} {
		err := tc.spec.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
	if err := (MemorySpec{Model: Fixed, RequestBytes: 32}).Validate(); err != nil {
		t.Errorf("fixed memory with 32-byte requests: %v", err)
	}
}

func TestCheckCapacity(t *testing.T) {
	m, err := BuildMemory(sim.NewSerialEngine(), 1*sim.GHz, "Mem", MemorySpec{Model: AkitaHBM2, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Capacity != 512<<20 {
		t.Fatalf("one HBM2 channel holds %d bytes, want 512 MiB", m.Capacity)
	}
	ok := []Span{{"IFMAP", 0, 1 << 20}, {"OFMAP", 100 << 20, 128 << 20}}
	if err := m.CheckCapacity(4, ok); err != nil {
		t.Errorf("spans within 512 MiB at 4 bytes per word: %v", err)
	}
	err = m.CheckCapacity(8, ok)
	want := "OFMAP occupies bytes 838860800 to 1073741824 (words 104857600 to 134217728 at 8 bytes per word), beyond the akita-hbm2 memory's 536870912 bytes (512 MiB)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestLatencyQuantile checks the bounded histogram against exact p99s.
func TestLatencyQuantile(t *testing.T) {
	var h latencyHist
	for i := range int64(1000) {
		h.add(i)
	}
	if q := h.quantile(0.99); q != 989 {
		t.Errorf("p99 of 0..999 = %d, want 989", q)
	}
	h = latencyHist{}
	for range 98 {
		h.add(7)
	}
	h.add(5000)
	h.add(9000)
	if q := h.quantile(0.99); q != 8191 {
		t.Errorf("p99 with two samples of 100 above 4096 = %d, want the bucket end 8191", q)
	}
}

func BenchmarkStream(b *testing.B) {
	for _, model := range []string{Fixed, AkitaDDR4, AkitaHBM2} {
		b.Run(model, func(b *testing.B) {
			var reqs, events int64
			for range b.N {
				burst := mkBurst(false, 10, 0, protocol.AddrRange{Start: 0, End: 1 << 20})
				r := newMemRig(b, MemorySpec{Model: model, Latency: 100}, 1, 0, []*protocol.BurstReq{burst})
				ev := &eventCounter{}
				r.engine.AcceptHook(ev)
				if err := r.engine.Run(); err != nil {
					b.Fatal(err)
				}
				reqs += r.adapter.Stats().Requests
				events += ev.n
			}
			b.ReportMetric(float64(events)/float64(reqs), "events/req")
			b.ReportMetric(float64(reqs)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

type eventCounter struct{ n int64 }

func (c *eventCounter) Func(ctx sim.HookCtx) {
	if ctx.Pos == sim.HookPosBeforeEvent {
		c.n++
	}
}
