package systolic

import (
	"slices"
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

type runLister interface {
	AddrRuns(t0, t1 int, fn func(lo, hi int64)) bool
}

// rowsSet returns the sorted distinct addresses of rows [t0, t1) of d.
func rowsSet(d protocol.Demand, t0, t1 int) []int64 {
	buf := make([]int64, d.Width())
	var out []int64
	for t := t0; t < t1; t++ {
		lo, hi := d.Row(t, buf)
		for _, a := range buf[lo:hi] {
			if a >= 0 {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runsSet returns the sorted distinct addresses of d's runs of rows [t0, t1).
func runsSet(t *testing.T, d protocol.Demand, t0, t1 int) []int64 {
	var out []int64
	ok := d.(runLister).AddrRuns(t0, t1, func(lo, hi int64) {
		if lo >= hi || lo < 0 {
			t.Fatalf("bad run [%d, %d)", lo, hi)
		}
		for a := lo; a < hi; a++ {
			out = append(out, a)
		}
	})
	if !ok {
		t.Fatalf("no runs")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestAddrRuns checks that the runs of a range of rows cover exactly the
// addresses those rows hold, for every reference case, operand and fold
// (and runs of folds), for the whole demand and for ranges of rows, with
// the window table and without it.
func TestAddrRuns(t *testing.T) {
	check := func(c refCase, op protocol.Operand, d protocol.Demand) {
		n := d.Rows()
		ranges := [][2]int{{0, n}, {0, n / 2}, {n / 2, n}, {n / 3, 2 * n / 3}, {1, n - 1}, {n - 1, n}}
		for t0 := 0; t0 < n; t0 += max(1, n/7) {
			ranges = append(ranges, [2]int{t0, t0 + 1}, [2]int{t0, min(n, t0+5)})
		}
		for _, r := range ranges {
			if r[0] > r[1] {
				continue
			}
			if got, want := runsSet(t, d, r[0], r[1]), rowsSet(d, r[0], r[1]); !slices.Equal(got, want) {
				t.Fatalf("%v %v first row %d rows [%d, %d): runs give %v, rows %v", c, op, d.FirstRow(), r[0], r[1], got, want)
			}
		}
	}
	for _, table := range []bool{true, false} {
		if !table {
			defer func(n int) { maxWindowTable = n }(maxWindowTable)
			maxWindowTable = 0
		}
		for _, c := range refCases() {
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
				for i := range m.NumFolds() {
					check(c, op, m.Demand(m.Fold(i), op))
				}
				if n := m.NumFolds(); n > 1 {
					check(c, op, m.FoldsDemand(0, n, op))
					check(c, op, m.FoldsDemand(1, n-1, op))
				}
			}
			if (&demand{m: m, f: m.Fold(0), op: protocol.Ofmap}).AddrRuns(0, 1, func(int64, int64) {}) {
				t.Fatalf("%v: ofmap has runs", c)
			}
		}
	}
}

// TestRowSpan checks that an ofmap row's span is the slots Row fills, all
// of them with an address, for every reference case and fold.
func TestRowSpan(t *testing.T) {
	type spanner interface {
		RowSpan(t int) (lo, hi int, ok bool)
	}
	for _, c := range refCases() {
		m := NewMapping(c.l, c.df, c.R, c.C, c.off)
		demands := []protocol.Demand{m.FoldsDemand(0, m.NumFolds(), protocol.Ofmap)}
		for i := range m.NumFolds() {
			demands = append(demands, m.Demand(m.Fold(i), protocol.Ofmap))
		}
		for _, d := range demands {
			buf := make([]int64, d.Width())
			for r := range d.Rows() {
				lo, hi := d.Row(r, buf)
				slo, shi, ok := d.(spanner).RowSpan(r)
				if !ok || slo != lo || shi != hi {
					t.Fatalf("%v row %d: span [%d, %d) %v, Row [%d, %d)", c, d.FirstRow()+int64(r), slo, shi, ok, lo, hi)
				}
				for _, a := range buf[lo:hi] {
					if a < 0 {
						t.Fatalf("%v row %d: -1 in an ofmap row", c, d.FirstRow()+int64(r))
					}
				}
			}
		}
		if _, _, ok := m.Demand(m.Fold(0), protocol.Ifmap).(spanner).RowSpan(0); ok {
			t.Fatalf("%v: ifmap has spans", c)
		}
	}
}

// TestSpanWords checks a run of ofmap rows' result count and first and
// last rows holding results against Row, for every reference case.
func TestSpanWords(t *testing.T) {
	type spanner interface {
		SpanWords(t0, t1 int) (words int64, first, last int)
	}
	for _, c := range refCases() {
		m := NewMapping(c.l, c.df, c.R, c.C, c.off)
		demands := []protocol.Demand{m.FoldsDemand(0, m.NumFolds(), protocol.Ofmap), m.Demand(m.Fold(m.NumFolds()-1), protocol.Ofmap)}
		for _, d := range demands {
			buf := make([]int64, d.Width())
			n := d.Rows()
			for _, r := range [][2]int{{0, n}, {0, n / 2}, {n / 3, n}, {n - 1, n}, {1, min(n, 4)}} {
				words, first, last := int64(0), -1, -1
				for row := r[0]; row < r[1]; row++ {
					lo, hi := d.Row(row, buf)
					if hi > lo {
						if first < 0 {
							first = row
						}
						last = row
						words += int64(hi - lo)
					}
				}
				gw, gf, gl := d.(spanner).SpanWords(r[0], r[1])
				if gw != words || gf != first || gl != last {
					t.Fatalf("%v rows [%d, %d): got %d words, rows %d..%d; want %d, %d..%d", c, r[0], r[1], gw, gf, gl, words, first, last)
				}
			}
		}
	}
}

// TestOccupiedRows checks that no row outside OccupiedRows holds a slot,
// for every reference case, operand and fold (and runs of folds).
func TestOccupiedRows(t *testing.T) {
	var ms []*Mapping
	for _, c := range refCases() {
		ms = append(ms, NewMapping(c.l, c.df, c.R, c.C, c.off))
	}
	for _, m := range ms {
		for _, op := range refOperands {
			demands := []protocol.Demand{m.FoldsDemand(0, m.NumFolds(), op)}
			for i := range m.NumFolds() {
				demands = append(demands, m.Demand(m.Fold(i), op))
			}
			for _, d := range demands {
				buf := make([]int64, d.Width())
				t0, t1 := d.(interface{ OccupiedRows() (int, int) }).OccupiedRows()
				for r := range d.Rows() {
					lo, hi := d.Row(r, buf)
					if (r < t0 || r >= t1) && hi > lo {
						t.Fatalf("%s %v %v row %d: not empty, outside OccupiedRows [%d, %d)", m.Layer.Name, m.Dataflow, op, d.FirstRow()+int64(r), t0, t1)
					}
				}
			}
		}
	}
}

// TestFillOrderNextN checks that NextN gives the cells Next gives, in
// chunks of every size, for every reference case and operand.
func TestFillOrderNextN(t *testing.T) {
	for _, c := range refCases() {
		m := NewMapping(c.l, c.df, c.R, c.C, c.off)
		for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
			o := m.FillOrder(op)
			var want []int64
			cur := o.Cursor()
			for range o.Len() {
				want = append(want, cur.Next())
			}
			for _, chunk := range []int{1, 3, 7, 64} {
				cur := o.Cursor().(interface{ NextN([]int64) })
				var got []int64
				for int64(len(got)) < o.Len() {
					buf := make([]int64, min(int64(chunk), o.Len()-int64(len(got))))
					cur.NextN(buf)
					got = append(got, buf...)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v %v chunks of %d: %v, want %v", c, op, chunk, got, want)
				}
			}
		}
	}
}
