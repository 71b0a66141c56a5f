package config

import "math"

// EnergyTable holds the energy of each action npusim counts. The defaults
// (DefaultEnergy) come from M. Horowitz, "Computing's energy problem (and
// what we can do about it)", ISSCC 2014, 45 nm, 0.9 V; an [energy] section
// in the config overrides any entry.
type EnergyTable struct {
	// MultPJ and AddPJ make up one MAC. Horowitz: 8-bit integer multiply
	// 0.2 pJ, add 0.03 pJ; 32-bit integer multiply 3.1 pJ, add 0.1 pJ.
	// Other word sizes scale the 8-bit figures, the multiplier with the
	// square of the width and the adder linearly (which also gives
	// Horowitz's 32-bit figures to within 10%).
	MultPJ, AddPJ float64
	// IdlePEPJ is charged per PE per cycle without a MAC. Horowitz gives no
	// figure for it, so it is 0 unless the config sets it (clock and leakage
	// of an idle PE).
	IdlePEPJ float64
	// SRAMPJ is the energy of a 64-bit access to the ifmap, filter and ofmap
	// buffers (reads and writes alike). Horowitz: 10 pJ for an 8 kB SRAM,
	// 100 pJ for 1 MB; a buffer of S bytes costs 10*(S/8 kB)^(log 10/log 128)
	// pJ, the power law through both points (also used outside them).
	SRAMPJ [3]float64
	// DRAMReadPJ and DRAMWritePJ are per 64-bit DRAM access. Horowitz: 1.3
	// to 2.6 nJ; the default is the middle, 1950 pJ.
	DRAMReadPJ, DRAMWritePJ float64
	// ClockMHz turns cycles into time for the average power and the
	// energy-delay product; npusim's components run at 1 GHz by default.
	ClockMHz float64
}

// Horowitz, ISSCC 2014 (45 nm) figures the defaults are built from.
const (
	mult8PJ, add8PJ   = 0.2, 0.03  // 8-bit integer multiply and add
	mult32PJ, add32PJ = 3.1, 0.1   // 32-bit integer multiply and add
	sram8kPJ          = 10.0       // 64-bit read, 8 kB SRAM
	sram1MPJ          = 100.0      // 64-bit read, 1 MB SRAM
	dramPJ            = 1950.0     // 64-bit DRAM access, middle of 1.3-2.6 nJ
	defaultClockMHz   = 1000.0     // components.Builder's default clock
	sram8kBytes       = 8 * 1024.0 // the two SRAM sizes Horowitz gives
	sram1MBytes       = 1024 * 1024.0
)

// SRAMAccessPJ is the default energy of a 64-bit access to an SRAM of the
// given size: the power law through Horowitz's 8 kB and 1 MB figures.
func SRAMAccessPJ(bytes float64) float64 {
	exp := math.Log(sram1MPJ/sram8kPJ) / math.Log(sram1MBytes/sram8kBytes)
	return sram8kPJ * math.Pow(bytes/sram8kBytes, exp)
}

// DefaultEnergy is the energy table for cfg's word size and buffer sizes.
func DefaultEnergy(cfg Config) EnergyTable {
	e := EnergyTable{DRAMReadPJ: dramPJ, DRAMWritePJ: dramPJ, ClockMHz: defaultClockMHz}
	if cfg.FrequencyMHz > 0 {
		e.ClockMHz = cfg.FrequencyMHz
	}
	switch wb := max(cfg.WordBytes, 1); wb {
	case 1:
		e.MultPJ, e.AddPJ = mult8PJ, add8PJ
	case 4:
		e.MultPJ, e.AddPJ = mult32PJ, add32PJ
	default:
		e.MultPJ, e.AddPJ = mult8PJ*float64(wb*wb), add8PJ*float64(wb)
	}
	for i, kb := range []int{cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB} {
		e.SRAMPJ[i] = SRAMAccessPJ(float64(kb) * 1024)
	}
	return e
}
