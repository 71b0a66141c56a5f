package sram

import (
	"cmp"
	"math"
	"slices"

	"github.com/npusim/npusim/components/protocol"
)

// rangeQueue keeps word addresses in arrival order as runs of consecutive
// addresses, for bursts that carry the addresses they move. A buffer keeps
// only what it holds and has not sent, so the queue is bounded by its size.
type rangeQueue struct {
	rs []protocol.AddrRange
}

// push appends address a, extending the last run when a follows it.
func (q *rangeQueue) push(a int64) {
	if n := len(q.rs); n > 0 && q.rs[n-1].End == a {
		q.rs[n-1].End++
		return
	}
	q.rs = append(q.rs, protocol.AddrRange{Start: a, End: a + 1})
}

// take removes the first n words and returns them as runs.
func (q *rangeQueue) take(n int64) []protocol.AddrRange {
	// Sized at once: a drain of n words has at most n runs.
	out := make([]protocol.AddrRange, 0, min(int64(len(q.rs)), n))
	i := 0
	for n > 0 && i < len(q.rs) {
		r := q.rs[i]
		if r.Len() <= n {
			out = append(out, r)
			n -= r.Len()
			i++
			continue
		}
		out = append(out, protocol.AddrRange{Start: r.Start, End: r.Start + n})
		q.rs[i].Start += n
		n = 0
	}
	q.rs = append(q.rs[:0], q.rs[i:]...)
	return out
}

// all removes and returns everything.
func (q *rangeQueue) all() []protocol.AddrRange {
	out := q.rs
	// The next burst is likely as long: start at its size.
	q.rs = make([]protocol.AddrRange, 0, cap(out))
	return out
}

// blockQueue keeps word addresses counted per aligned block of 1<<shift
// words, for bursts that carry protocol.BurstReq.Blocks: a convolution's
// fill visits a block's words far apart, one range each, but one block.
// Pushes go to a dense table of counters when the buffer knows the
// addresses' span, else to a list whose consecutive pushes to one block
// merge. Both are bounded by what the buffer holds, and the table by
// maxDenseBlocks. (The write buffer, which drains its oldest words
// first, keeps a wordQueue.)
type blockQueue struct {
	shift uint
	// dense table: counts of blocks [base, base+len(cnt)) and the blocks
	// with a count, in first-touch order
	base    int64
	cnt     []int64
	touched []int64
	// list: (block index, words) in arrival order
	list []protocol.WordBlock
	// scratch: blocks' table of a span of blocks
	scratch []int64
}

// maxDenseBlocks bounds a window's table of counters (8 MiB).
const maxDenseBlocks = 1 << 20

// useDense makes pushes of addresses in [lo, hi] count in a table.
func (q *blockQueue) useDense(lo, hi int64) {
	q.cnt, q.touched = q.cnt[:0], q.touched[:0]
	if n := hi>>q.shift - lo>>q.shift + 1; hi >= lo && n <= maxDenseBlocks {
		q.base = lo >> q.shift
		if int64(cap(q.cnt)) < n {
			q.cnt = make([]int64, n)
		}
		q.cnt = q.cnt[:n]
		clear(q.cnt)
	}
}

// push counts address a.
func (q *blockQueue) push(a int64) {
	blk := a >> q.shift
	if i := uint64(blk - q.base); i < uint64(len(q.cnt)) {
		if q.cnt[i] == 0 {
			q.touched = append(q.touched, blk)
		}
		q.cnt[i]++
		return
	}
	if n := len(q.list); n > 0 && q.list[n-1].Start == blk {
		q.list[n-1].Words++
		return
	}
	q.list = append(q.list, protocol.WordBlock{Start: blk, Words: 1})
}

// all removes and returns everything, per block.
func (q *blockQueue) all() []protocol.WordBlock {
	dense := make([]protocol.WordBlock, 0, len(q.touched))
	for _, blk := range q.touched {
		i := blk - q.base
		dense = append(dense, protocol.WordBlock{Start: blk, Words: q.cnt[i]})
		q.cnt[i] = 0
	}
	out := q.blocks(q.list, dense)
	q.touched, q.list = q.touched[:0], q.list[:0]
	return out
}

// blocks returns the entries of a and b (block indices, not modified) per
// block in address order, as word addresses. When the blocks lie close
// together, a table of their span merges them in linear time (a drain
// of results that each land in another block has one entry per word);
// else a sort does.
func (q *blockQueue) blocks(a, b []protocol.WordBlock) []protocol.WordBlock {
	if len(a)+len(b) == 0 {
		return nil
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	sorted, prev := true, int64(math.MinInt64)
	for _, part := range [2][]protocol.WordBlock{a, b} {
		for _, e := range part {
			lo, hi = min(lo, e.Start), max(hi, e.Start)
			sorted = sorted && e.Start > prev
			prev = e.Start
		}
	}
	var out []protocol.WordBlock
	switch span := hi - lo + 1; {
	case sorted:
		out = append(append(make([]protocol.WordBlock, 0, len(a)+len(b)), a...), b...)
	case span <= 4*int64(len(a)+len(b))+1024:
		if int64(cap(q.scratch)) < span {
			q.scratch = make([]int64, span)
		}
		tab := q.scratch[:span]
		used := 0
		for _, part := range [2][]protocol.WordBlock{a, b} {
			for _, e := range part {
				if tab[e.Start-lo] == 0 {
					used++
				}
				tab[e.Start-lo] += e.Words
			}
		}
		out = make([]protocol.WordBlock, 0, used)
		for i, w := range tab {
			if w != 0 {
				out = append(out, protocol.WordBlock{Start: lo + int64(i), Words: w})
				tab[i] = 0
			}
		}
	default:
		out = append(append(make([]protocol.WordBlock, 0, len(a)+len(b)), a...), b...)
		slices.SortFunc(out, func(x, y protocol.WordBlock) int { return cmp.Compare(x.Start, y.Start) })
		k := 0
		for _, e := range out[1:] {
			if e.Start == out[k].Start {
				out[k].Words += e.Words
				continue
			}
			k++
			out[k] = e
		}
		out = out[:k+1]
	}
	for i := range out {
		out[i].Start <<= q.shift
	}
	return out
}

// wordQueue keeps a write buffer's accepted word addresses in arrival
// order for drains that count their words per block: a row of results is
// copied at once, its -1 slots kept and skipped when taken. A systolic
// array's skewed output rows put neighbouring results a block apart, so
// a list of blocks would hold an entry per word anyway; a row's copy
// costs less than an entry per word, and the drain merges the blocks.
type wordQueue struct {
	shift uint
	a     []int64
	head  int
	bq    blockQueue // merges, for take
	// tab counts a drain's words per block, over blocks [base,
	// base+len(tab)); zero between takes. moved is how far grow last
	// shifted the indices.
	base, moved int64
	tab         []int64
}

// pushRow appends a row of addresses (-1: no result).
func (q *wordQueue) pushRow(row []int64) {
	q.room(len(row))
	q.a = append(q.a, row...)
}

// push appends one address.
func (q *wordQueue) push(a int64) {
	q.room(1)
	q.a = append(q.a, a)
}

// room reuses the space taken words left when n more would not fit.
func (q *wordQueue) room(n int) {
	if len(q.a)+n > cap(q.a) && q.head >= len(q.a)/4 {
		q.a = append(q.a[:0], q.a[q.head:]...)
		q.head = 0
	}
}

// reset drops everything.
func (q *wordQueue) reset() { q.a, q.head, q.tab = q.a[:0], 0, q.tab[:0] }

// take removes the oldest n words and returns them per block, in
// address order.
func (q *wordQueue) take(n int64) []protocol.WordBlock {
	if out, ok := q.takeCounted(n); ok {
		return out
	}
	// The layer's results span more blocks than a table may hold: list
	// the words' blocks and let blockQueue merge them.
	var bs []protocol.WordBlock
	i := q.head
	for ; n > 0 && i < len(q.a); i++ {
		a := q.a[i]
		if a < 0 {
			continue
		}
		if blk := a >> q.shift; len(bs) > 0 && bs[len(bs)-1].Start == blk {
			bs[len(bs)-1].Words++
		} else {
			bs = append(bs, protocol.WordBlock{Start: blk, Words: 1})
		}
		n--
	}
	q.head = i
	q.bq.shift = q.shift
	return q.bq.blocks(bs, nil)
}

// takeCounted is take in one pass over the words, counting them in a
// table of the blocks the layer's results have reached so far (a layer
// writes one output region, so the table stays the size of that region's
// blocks): the words are read once, not once to find their span and again
// to count them. It gives up (false, having taken nothing) when the table
// would outgrow maxDenseBlocks.
func (q *wordQueue) takeCounted(n int64) ([]protocol.WordBlock, bool) {
	i := q.head
	tmin, tmax := int64(math.MaxInt64), int64(-1) // table indices used
	used := 0
	for ; n > 0 && i < len(q.a); i++ {
		a := q.a[i]
		if a < 0 {
			continue
		}
		blk := a >> q.shift
		j := blk - q.base
		if uint64(j) >= uint64(len(q.tab)) {
			if !q.grow(blk, tmin, tmax) {
				for k := max(tmin, 0); k <= tmax; k++ {
					q.tab[k] = 0
				}
				return nil, false
			}
			if j = blk - q.base; tmax >= 0 { // the indices moved with the base
				tmin, tmax = tmin+q.moved, tmax+q.moved
			}
		}
		if q.tab[j] == 0 {
			used++
			tmin, tmax = min(tmin, j), max(tmax, j)
		}
		q.tab[j]++
		n--
	}
	q.head = i
	if used == 0 {
		return nil, true
	}
	out := make([]protocol.WordBlock, 0, used)
	for j := tmin; j <= tmax; j++ {
		if w := q.tab[j]; w != 0 {
			out = append(out, protocol.WordBlock{Start: (q.base + j) << q.shift, Words: w})
			q.tab[j] = 0
		}
	}
	return out, true
}

// grow widens the table to hold block blk, keeping the counts in table
// indices [tmin, tmax] (q.moved says by how much their indices moved); it
// reports false when the table would exceed maxDenseBlocks.
func (q *wordQueue) grow(blk, tmin, tmax int64) bool {
	if len(q.tab) == 0 {
		q.base, q.moved = blk, 0
		q.tab = make([]int64, 1024)
		return true
	}
	lo, hi := min(q.base, blk), max(q.base+int64(len(q.tab))-1, blk)
	size := max(2*int64(len(q.tab)), hi-lo+1)
	if size > maxDenseBlocks {
		if hi-lo+1 > maxDenseBlocks {
			return false
		}
		size = maxDenseBlocks
	}
	if blk < q.base { // room below too, for results that go down
		lo = max(hi-size+1, lo-(size-(hi-lo+1))/2)
		lo = min(lo, blk)
	}
	tab := make([]int64, size)
	q.moved = q.base - lo
	if tmax >= 0 {
		copy(tab[tmin+q.moved:], q.tab[tmin:tmax+1])
	}
	q.base, q.tab = lo, tab
	return true
}
