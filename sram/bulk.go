package sram

import "math/bits"

// runDemand is a demand that can list its addresses as runs of consecutive
// addresses (systolic's fold demands): see (*systolic.demand).AddrRuns.
type runDemand interface {
	AddrRuns(t0, t1 int, fn func(lo, hi int64)) bool
}

// A rangeServer is a read policy that can serve a range of rows of a demand
// from the set of their addresses, when the order in which the rows see
// them does not matter. serveRange reports whether it did; if not, nothing
// changed.
type rangeServer interface {
	serveRange(d runDemand, t0, t1 int) bool
	// ranges reports whether serveRange can serve anything at all this layer.
	ranges() bool
	// room is the number of new addresses below which serveRange
	// succeeds.
	room() int64
}

// serveRange serves rows [t0, t1) of a fold of the CALC policy at once. Between two fetch
// points the policy only counts distinct addresses (sets close every ipset
// of them, and closing a set that is not the 50th records nothing but the
// count), so when the rows' new addresses do not reach the next fetch
// point, adding their address set run by run, 64 addresses a step, gives
// the state the row-by-row walk would. When they do, the row of the fetch
// point matters: the additions are undone (the read buffer then narrows
// the range down to the row of the fetch point and walks that row). Traced
// runs always walk, since the trace lists each set's addresses.
func (e *estimate) ranges() bool { return !e.tracing }

func (e *estimate) room() int64 {
	return estActiveSets*e.ipset - (e.pending.sets*e.ipset + e.curLen)
}

func (e *estimate) serveRange(d runDemand, t0, t1 int) bool {
	if e.tracing {
		return false
	}
	s := e.seen
	limit := e.room() // new addresses that make a fetch point
	for {
		mark := s.begin()
		var added int64
		full, over := false, false
		if !d.AddrRuns(t0, t1, func(lo, hi int64) {
			if full || over {
				return
			}
			n, ok := s.addRun(lo, hi)
			added += n
			full, over = !ok, added >= limit
		}) {
			return false
		}
		if over {
			s.undo(mark)
			return false
		}
		if full { // the table must grow first: undo, grow, again
			s.undo(mark)
			s.grow()
			continue
		}
		s.journal = s.journal[:0]
		total := e.pending.sets*e.ipset + e.curLen + added
		e.pending.sets = total / e.ipset
		e.pending.words = e.pending.sets * e.ipset
		e.curLen = total % e.ipset
		return true
	}
}

// journalEntry is a slot as it was before addRun changed it.
type journalEntry struct {
	slot int32
	was  bitPage
}

// begin starts recording changes for undo; it returns the mark to undo to.
func (s *addrSet) begin() int {
	s.journal = s.journal[:0]
	return s.n
}

// undo restores the set as begin found it, newest change first (so that
// the probe chains are as they were), n being begin's mark.
func (s *addrSet) undo(n int) {
	for i := len(s.journal) - 1; i >= 0; i-- {
		j := s.journal[i]
		s.slots[j.slot] = j.was
	}
	s.journal = s.journal[:0]
	s.n = n
}

// addRun adds addresses [lo, hi), recording what it changes, and returns
// how many were absent. It returns false, having changed nothing for the
// page it stopped at, when a new page would make the table too full.
func (s *addrSet) addRun(lo, hi int64) (int64, bool) {
	var added int64
	for lo < hi {
		key := lo >> 6
		end := min(hi, (key+1)<<6)
		mask := ^uint64(0) >> (64 - (end - lo)) << (lo & 63)
		lo = end
		i := (uint64(key) * 0x9E3779B97F4A7C15) >> s.shift
		for ; s.slots[i].stamp == s.epoch && s.slots[i].key != key; i = (i + 1) & s.mask {
		}
		p := &s.slots[i]
		if p.stamp == s.epoch {
			if fresh := mask &^ p.bits; fresh != 0 {
				s.journal = append(s.journal, journalEntry{int32(i), *p})
				p.bits |= fresh
				added += int64(bits.OnesCount64(fresh))
			}
			continue
		}
		if 2*(s.n+1) > len(s.slots) {
			return added, false
		}
		s.journal = append(s.journal, journalEntry{int32(i), *p})
		*p = bitPage{key: key, bits: mask, stamp: s.epoch}
		s.n++
		added += int64(bits.OnesCount64(mask))
	}
	return added, true
}
