package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/multicore"
)

// CoreHeader is the header of CORE_REPORT.csv, a multi-core run's per-core rows.
const CoreHeader = "LayerID, Core, Split, Output Rows, Filters, MACs, Total Cycles, Stall Cycles, Overall Util %, Alone Cycles, Alone Stall Cycles, Contention Cycles, DRAM Words, DRAM Bytes,"

// coreRows are layer i's rows of CORE_REPORT.csv: per core, its share
// (output rows and filters as half-open ranges lo:hi), its MACs, cycles,
// stalls and utilisation on its own array, the cycles and stalls of the
// same share run alone, the contention cycles (cycles minus alone
// cycles), and its DRAM words and request bytes (bytes: real memory only).
func coreRows(cfg config.Config, i int, run multicore.LayerRun, alone []multicore.CoreRun) string {
	pes := int64(cfg.ArrayHeight) * int64(cfg.ArrayWidth)
	var rows strings.Builder
	for c, cr := range run.Cores {
		r, a, sh := cr.Result, alone[c].Result, cr.Share
		macs, util := int64(0), 0.0
		if !sh.Empty() {
			macs = sh.Layer.MACs()
			util = float64(macs*100) / float64(r.TotalCycles*pes)
		}
		var words, bytes int64
		for _, t := range cr.DRAM {
			words += t.Words
			bytes += t.Bytes
		}
		rows.WriteString(csvLine(strconv.Itoa(i), strconv.Itoa(c), run.Split.String(),
			fmt.Sprintf("%d:%d", sh.Rows[0], sh.Rows[1]), fmt.Sprintf("%d:%d", sh.Filters[0], sh.Filters[1]),
			itoa(macs), itoa(r.TotalCycles), itoa(r.StallCycles), py.Float(util),
			itoa(a.TotalCycles), itoa(a.StallCycles), itoa(r.TotalCycles-a.TotalCycles),
			itoa(words), itoa(bytes)))
	}
	return rows.String()
}

// CoreFormat is CORE_REPORT.csv of a multi-core run; run(i) gives layer
// i's run and each core's share run alone (zero for an empty share).
func CoreFormat(cfg config.Config, run func(i int) (multicore.LayerRun, []multicore.CoreRun)) Format {
	return Format{name: "CORE_REPORT.csv", header: CoreHeader, row: func(r *Layer) string {
		lr, alone := run(r.Layer)
		return coreRows(cfg, r.Layer, lr, alone)
	}}
}
