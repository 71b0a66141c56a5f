package sram

import "sync"

// pySetOrder returns addrs (distinct, non-negative, in insertion order) in
// the order CPython 3.11 iterates a set built by adding them one by one as
// floats. SCALE-Sim's CALC-mode read buffer keeps its fetched addresses in
// Python sets and writes list(set) into its DRAM trace, cut into rows; when
// a set's size is not a multiple of the row width, which addresses share a
// row depends on that order, so the trace needs it (reports do not).
//
// It replays CPython's set table (Objects/setobject.c): a hash of an
// integral float is its value; a table of 8 slots to start; probing looks
// at slot i and, when they exist, the 9 slots after it, then jumps with
// the perturbed recurrence; once fill*5 >= mask*3 the table grows to the
// smallest power of two above 4*fill (2*fill past 50000) and re-inserts
// the entries in slot order. Iteration is slot order.
//
// It reorders addrs in place and returns it. The tables come from a pool:
// traced CALC runs order millions of sets, and allocating a table per set
// kept the garbage collector busy.
func pySetOrder(addrs []int64) []int64 {
	const linearProbes = 9
	tables := pyTables.Get().(*[2][]int64)
	defer pyTables.Put(tables)
	newTable := func(size int) []int64 {
		t := &tables[0]
		if cap(*t) < size {
			*t = make([]int64, size)
		}
		tables[0], tables[1] = tables[1], (*t)[:size]
		for i := range tables[1] {
			tables[1][i] = -1
		}
		return tables[1]
	}
	table := newTable(8)
	place := func(table []int64, h int64) {
		mask := uint64(len(table) - 1)
		perturb := uint64(h)
		i := uint64(h) & mask
		for {
			if i+linearProbes <= mask {
				for j := i; j <= i+linearProbes; j++ {
					if table[j] < 0 {
						table[j] = h
						return
					}
				}
			} else if table[i] < 0 {
				table[i] = h
				return
			}
			perturb >>= 5
			i = (i*5 + 1 + perturb) & mask
		}
	}
	fill := 0
	for _, a := range addrs {
		place(table, a)
		fill++
		if mask := len(table) - 1; fill*5 >= mask*3 {
			minUsed := fill * 4
			if fill > 50000 {
				minUsed = fill * 2
			}
			size := 8
			for size <= minUsed {
				size <<= 1
			}
			bigger := newTable(size)
			for _, h := range table {
				if h >= 0 {
					place(bigger, h)
				}
			}
			table = bigger
		}
	}
	out := addrs[:0]
	for _, h := range table {
		if h >= 0 {
			out = append(out, h)
		}
	}
	return out
}

// pyTables holds pySetOrder's two tables (the current one and, while it
// grows, the bigger one).
var pyTables = sync.Pool{New: func() any { return new([2][]int64) }}
