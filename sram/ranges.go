package sram

import "github.com/npusim/npusim/components/protocol"

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
