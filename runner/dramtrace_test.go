package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

// traceRow is one row of a DRAM trace: its cycle and its addresses as
// written.
type traceRow struct {
	cycle int64
	addrs string
}

// readDRAMTrace reads a DRAM trace file.
func readDRAMTrace(t *testing.T, path string) []traceRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []traceRow
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		c, rest, _ := strings.Cut(line, ",")
		f, err := strconv.ParseFloat(c, 64)
		if err != nil {
			t.Fatalf("%s: row %q: %v", path, line, err)
		}
		rows = append(rows, traceRow{int64(f), rest})
	}
	return rows
}

// traceWords counts the addresses of a trace's rows, padding (-1) left
// out.
func traceWords(rows []traceRow) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		for _, a := range strings.Split(r.addrs, ",") {
			if a != "-1.0" {
				m[a]++
			}
		}
	}
	return m
}

// runTraced runs layer l on memBaseConfig plus extra with traces and
// returns its report and its layer0 folder.
func runTraced(t *testing.T, extra string, l systolic.Layer) (report.Layer, string) {
	t.Helper()
	cfg, err := ParseConfig("mem.cfg", []byte(memBaseConfig+extra))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reps, err := Run(cfg, []systolic.Layer{l}, Options{LogDir: dir, Traces: true})
	if err != nil {
		t.Fatal(err)
	}
	return reps[0], filepath.Join(dir, cfg.RunName, "layer0")
}

// TestRealMemoryDRAMTraces: with npusim's DRAM model the run writes the
// three DRAM traces, and they trace what the memory served
// (dram.Controller.traceBurst):
//
//   - each operand's rows hold exactly the addresses of the ideal
//     channel's run (the buffers ask for the same words; only how a drain
//     cuts its lines, and so its padding, may differ with the timing);
//   - no row is earlier than the operand's first completion in the
//     report (DETAILED_ACCESS_REPORT's DRAM start cycle) or later than its
//     last (stop cycle), and for the filter and the ofmap the latest row
//     is that last completion (the ifmap buffer's window also fetches
//     words none of its traced lines holds, which may complete later);
//   - over DDR4 the fills' rows are the ideal run's, each at the ideal
//     cycle or later: the buffers ask later (the array stalls more), and
//     the memory takes longer than the ideal channel's one cycle. (This
//     holds for these layers, not by construction: a line is served once
//     its blocks are, and the memory fetches a block once where a fill's
//     lines repeat a word, so a memory with little latency, fixed with
//     Latency 0, does serve some ifmap lines earlier than SCALE-Sim's
//     channel, which moves every repeat.)
func TestRealMemoryDRAMTraces(t *testing.T) {
	ops := []string{"IFMAP", "FILTER", "OFMAP"}
	for _, l := range memLayers {
		_, idealDir := runTraced(t, "", l)
		for _, mem := range []string{"[dram]\nModel = fixed\nLatency = 0\nWidth = 64\n", "[dram]\nModel = ddr4\n"} {
			name := l.Name + " " + strings.Fields(mem)[3]
			rep, dir := runTraced(t, mem, l)
			for op, o := range ops {
				ideal := readDRAMTrace(t, filepath.Join(idealDir, o+"_DRAM_TRACE.csv"))
				real := readDRAMTrace(t, filepath.Join(dir, o+"_DRAM_TRACE.csv"))
				if iw, rw := traceWords(ideal), traceWords(real); !mapsEqual(iw, rw) {
					t.Errorf("%s %s: the trace's addresses differ from the ideal run's (%d and %d distinct)", name, o, len(rw), len(iw))
				}
				first, last := real[0].cycle, real[0].cycle
				for _, r := range real {
					first, last = min(first, r.cycle), max(last, r.cycle)
				}
				if a := rep.DRAM[op]; last > a.Stop || (op != 0 && last != a.Stop) || first < a.Start {
					t.Errorf("%s %s: rows from cycle %d to %d, report's DRAM accesses from %d to %d", name, o, first, last, a.Start, a.Stop)
				}
				if mem == "[dram]\nModel = ddr4\n" && op != 2 {
					if err := notEarlier(ideal, real); err != nil {
						t.Errorf("%s %s: %v", name, o, err)
					}
				}
			}
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// notEarlier checks that real has ideal's rows, each no earlier: rows of
// the same addresses matched in cycle order.
func notEarlier(ideal, real []traceRow) error {
	group := func(rows []traceRow) map[string][]int64 {
		m := map[string][]int64{}
		for _, r := range rows {
			m[r.addrs] = append(m[r.addrs], r.cycle)
		}
		for _, c := range m {
			slices.Sort(c)
		}
		return m
	}
	im, rm := group(ideal), group(real)
	if len(ideal) != len(real) || len(im) != len(rm) {
		return fmt.Errorf("%d rows (%d distinct), the ideal run %d (%d)", len(real), len(rm), len(ideal), len(im))
	}
	for k, ic := range im {
		rc := rm[k]
		if len(rc) != len(ic) {
			return fmt.Errorf("row %s: %d times, %d in the ideal run", k, len(rc), len(ic))
		}
		for i := range ic {
			if rc[i] < ic[i] {
				return fmt.Errorf("row %s at cycle %d, in the ideal run at %d", k, rc[i], ic[i])
			}
		}
	}
	return nil
}
