package dramsim

// Energy is a memory's energy in picojoules, by what spent it, as DRAMsim3
// accounts it from the config's [power] currents (IDD, mA) and voltage
// (VDD): per ACTIVATE (with its PRECHARGE), per READ and WRITE burst, per
// REFRESH, and per cycle of each rank in active (a bank open) or
// precharged standby. DRAMsim3 reports V x mA x cycles; npusim multiplies
// by tCK (ns), which gives picojoules.
type Energy struct {
	ActivatePJ, ReadPJ, WritePJ, RefreshPJ, BackgroundPJ float64
}

// TotalPJ is the sum.
func (e Energy) TotalPJ() float64 {
	return e.ActivatePJ + e.ReadPJ + e.WritePJ + e.RefreshPJ + e.BackgroundPJ
}

// Energy returns the energy of what s counts over a period of cycles
// memory cycles (each rank's standby over that period: active for
// s.ActiveCycles, precharged for the rest). Self-refresh and power-down
// are not modelled (DRAMsim3's configs here leave them off).
func (c *Config) Energy(s Stats, cycles int64) Energy {
	p, t := c.Power, c.Timing
	dev := float64(c.DevsPerRank)
	ns := t.TCK
	act := p.VDD * (p.IDD0*float64(c.tRC) - (p.IDD3N*float64(t.TRAS) + p.IDD2N*float64(t.TRP))) * dev
	rd := p.VDD * (p.IDD4R - p.IDD3N) * float64(c.BurstCycle) * dev
	wr := p.VDD * (p.IDD4W - p.IDD3N) * float64(c.BurstCycle) * dev
	ref := p.VDD * (p.IDD5AB - p.IDD3N) * float64(t.TRFC) * dev
	actStb := p.VDD * p.IDD3N * dev
	preStb := p.VDD * p.IDD2N * dev
	rankCycles := float64(cycles) * float64(c.Ranks*c.Channels)
	active := min(float64(s.ActiveCycles), rankCycles)
	return Energy{
		ActivatePJ:   act * float64(s.Activates) * ns,
		ReadPJ:       rd * float64(s.ReadCmds) * ns,
		WritePJ:      wr * float64(s.WriteCmds) * ns,
		RefreshPJ:    ref * float64(s.Refreshes) * ns,
		BackgroundPJ: (actStb*active + preStb*(rankCycles-active)) * ns,
	}
}
