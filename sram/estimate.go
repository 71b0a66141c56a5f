package sram

import "github.com/npusim/npusim/components/protocol"

// SCALE-Sim's CALC-mode read buffer (ReadBufferEstimateBw) constants.
const (
	estActiveSets   = 50 // SA
	estPrefetchSets = 50 // SP
	estFirstBW      = 10 // words per cycle assumed for the first fill
)

// estimate is SCALE-Sim v2's CALC-mode read buffer policy: the buffer never
// stalls the array; it groups the distinct addresses it sees into sets of
// ipset, and every 50 sets it fetches the previous 50 from DRAM, spread
// evenly over the time between the two previous such points. That is how
// SCALE-Sim estimates the DRAM bandwidth a layer needs.
//
// What the buffer remembers is only the sets not yet fetched: the hit window
// of SCALE-Sim moves past every set it has observed at each fetch point, so
// older sets can never hit again.
type estimate struct {
	ipset   int64
	tracing bool

	seen    *addrSet // addresses of the window: pending sets + cur
	cur     []int64  // the set being filled (addresses, if tracing)
	curLen  int64
	pending pendingSets // closed sets since the last fetch point
	// fetch points of the fold not yet timed: the layer rows where the 50th
	// set closed (each fetches 50 full sets, so the row is all there is to
	// keep: 8 bytes a fetch point, however long the fold) and, when traced,
	// the addresses they fetch
	triggers    []int64
	triggerAddr [][]int64

	done         bool  // the first fetch point has passed
	pstart, pend int64 // the interval the next fetch is spread over
	fetchPoints  int64
}

// pendingSets is a run of closed sets: their count, their total size, and
// their addresses when traced.
type pendingSets struct {
	sets  int64
	words int64
	addrs []int64
}

func newEstimate(words int64) *estimate {
	return &estimate{ipset: max(words/100, 1)}
}

func (e *estimate) beginLayer(_ protocol.FillOrder, tracing bool) *protocol.BurstReq {
	seen := e.seen
	if seen == nil {
		seen = newAddrSet()
	}
	seen.reset()
	*e = estimate{ipset: e.ipset, tracing: tracing, seen: seen}
	e.pstart, e.pend = -2, -1
	return nil
}

func (e *estimate) serve(addrs []int64, hints []int32, row int64) (int, *protocol.BurstReq) {
	seen := e.seen
	slots, epoch := seen.slots, seen.epoch
	hints = hints[:len(addrs)]
	for i, a := range addrs {
		if a < 0 {
			continue
		}
		// the hinted page, inline: almost every address of a column lands
		// in the page its previous address did
		if h := hints[i]; uint(h) < uint(len(slots)) {
			p := &slots[h]
			if p.key == a>>6 && p.stamp == epoch {
				bit := uint64(1) << (a & 63)
				if p.bits&bit != 0 {
					continue
				}
				p.bits |= bit
				if e.tracing {
					e.cur = append(e.cur, a)
				}
				if e.curLen++; e.curLen == e.ipset {
					e.setFull(row)
					epoch = seen.epoch
				}
				continue
			}
		}
		if seen.insert(a, &hints[i]) {
			e.add(a, row)
		}
		slots, epoch = seen.slots, seen.epoch
	}
	return len(addrs), nil
}

// add puts a newly seen address in the current set.
func (e *estimate) add(addr int64, row int64) {
	if e.tracing {
		e.cur = append(e.cur, addr)
	}
	if e.curLen++; e.curLen == e.ipset {
		e.setFull(row)
	}
}

// setFull closes the current set, which just reached ipset addresses; the
// 50th set since the last fetch point makes a new one.
func (e *estimate) setFull(row int64) {
	e.closeSet()
	if e.pending.sets == estActiveSets {
		// a fetch point: fetch the pending sets; SCALE-Sim's hit window
		// moves past all of them.
		e.triggers = append(e.triggers, row)
		if e.tracing {
			e.triggerAddr = append(e.triggerAddr, e.pending.addrs)
		}
		e.pending = pendingSets{}
		e.seen.reset()
		e.fetchPoints++
	}
}

func (e *estimate) closeSet() {
	e.pending.sets++
	e.pending.words += e.curLen
	if e.tracing {
		// the trace lists each set in Python's set order, as SCALE-Sim does
		e.pending.addrs = append(e.pending.addrs, pySetOrder(e.cur)...)
		e.cur = e.cur[:0]
	}
	e.curLen = 0
}

func (e *estimate) filled(int64) {}

func (e *estimate) epoch() int64 { return e.fetchPoints }

func (e *estimate) ready() int64 { return 0 }

// timed times the fold's fetch points: each fetches its sets over the
// interval between the two previous fetch points (the first one over a
// window ending just before the layer's first demand, at 10 words/cycle).
func (e *estimate) timed(cycleOf func(int64) int64, firstCycle int64) []*protocol.BurstReq {
	var out []*protocol.BurstReq
	for i, row := range e.triggers {
		var bw int64
		if !e.done {
			bw = estFirstBW
			e.pend = firstCycle - 2 // -1, minus the port latency
			e.pstart = e.pend - ceilDiv64(estPrefetchSets*e.ipset, bw) + 1
			e.done = true
		} else {
			bw = ceilDiv64(estPrefetchSets*e.ipset, e.pend-e.pstart+1)
		}
		sets := pendingSets{sets: estActiveSets, words: estActiveSets * e.ipset}
		if e.tracing {
			sets.addrs = e.triggerAddr[i]
		}
		out = append(out, e.emit(sets, bw))
		e.pstart, e.pend = e.pend+1, cycleOf(row)
	}
	e.triggers = e.triggers[:0]
	clear(e.triggerAddr)
	e.triggerAddr = e.triggerAddr[:0]
	return out
}

// endLayer is SCALE-Sim's complete_all_prefetches: fetch what is left.
func (e *estimate) endLayer() []*protocol.BurstReq {
	if e.curLen > 0 {
		e.closeSet()
	}
	if !e.done {
		e.pend = -2
		e.pstart = e.pend - ceilDiv64(e.pending.sets*e.ipset, estFirstBW) + 1
		return []*protocol.BurstReq{e.emit(e.pending, estFirstBW)}
	}
	bw := ceilDiv64(e.pending.sets*e.ipset, e.pend-e.pstart+1)
	return []*protocol.BurstReq{e.emit(e.pending, bw)}
}

// emit fetches sets over cycles [pstart, pend], bw words per line; lines
// complete at pstart+1 .. pend+1.
func (e *estimate) emit(s pendingSets, bw int64) *protocol.BurstReq {
	lines := e.pend - e.pstart + 1
	req := &protocol.BurstReq{At: e.pstart, Lines: int(lines), LineWords: int(bw), Words: s.words}
	if e.tracing {
		req.Data = make([][]int64, lines)
		// lines past the addresses are all padding: they share one
		// (read-only) line, so that memory follows the addresses, not the
		// lines (a first fill of a large buffer is mostly padding)
		var pad []int64
		for j := range req.Data {
			if int64(j)*bw >= int64(len(s.addrs)) {
				if pad == nil {
					pad = make([]int64, bw)
					for c := range pad {
						pad[c] = -1
					}
				}
				req.Data[j] = pad
				continue
			}
			line := make([]int64, bw)
			for c := range line {
				i := int64(j)*bw + int64(c)
				line[c] = -1
				if i < int64(len(s.addrs)) {
					line[c] = s.addrs[i]
				}
			}
			req.Data[j] = line
		}
	}
	return req
}

// ahead: the fetch points are timed by the array's clock, fold by fold.
func (e *estimate) ahead() bool { return false }
