package sram

// The buffers' residency structures. They sit on the hot path, one lookup
// per demanded word, so they are built for it: addresses are grouped in
// pages of consecutive words (demand streams touch runs of neighbouring
// addresses), a page is one entry of an open-addressing table (linear
// probing, multiplicative hash), each demand column keeps a hint to the
// page it used last, and the tables grow with the pages in use, which a
// buffer's capacity bounds, not with the layer.

import "math/bits"

// pageWords is the number of consecutive addresses a lineTable page holds.
const (
	pageBits  = 4
	pageWords = 1 << pageBits
)

// addrSet is the CALC policy's set of addresses seen since the last fetch
// point: a page is 64 consecutive addresses as one bit mask, so an entry is
// 24 bytes, and an epoch stamp per entry empties the set in O(1) at each
// fetch point.
type addrSet struct {
	slots []bitPage
	epoch uint32
	shift uint
	mask  uint64
	n     int
	// changes since begin, for undo (see serveWhole)
	journal []journalEntry
}

type bitPage struct {
	key   int64 // address >> 6
	bits  uint64
	stamp uint32
}

func newAddrSet() *addrSet {
	s := &addrSet{epoch: 1}
	s.alloc(16)
	return s
}

func (s *addrSet) alloc(size int) {
	s.slots = make([]bitPage, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	s.mask = uint64(size - 1)
}

// insert adds a and reports whether it was absent. hint remembers the slot
// of the page used last by the caller's stream (a demand column): the next
// address of a column is usually in the same page, and a valid hint skips
// the hashing and probing. A hint is only trusted if its slot is live and
// holds the same page, so a stale one (after a reset or a growth) is
// harmless.
func (s *addrSet) insert(a int64, hint *int32) bool {
	key, bit := a>>6, uint64(1)<<(a&63)
	if h := *hint; h >= 0 && int(h) < len(s.slots) {
		if p := &s.slots[h]; p.key == key && p.stamp == s.epoch {
			if p.bits&bit != 0 {
				return false
			}
			p.bits |= bit
			return true
		}
	}
	i := (uint64(key) * 0x9E3779B97F4A7C15) >> s.shift
	for ; s.slots[i].stamp == s.epoch; i = (i + 1) & s.mask {
		if p := &s.slots[i]; p.key == key {
			*hint = int32(i)
			if p.bits&bit != 0 {
				return false
			}
			p.bits |= bit
			return true
		}
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
		return s.insert(a, hint)
	}
	s.slots[i] = bitPage{key: key, bits: bit, stamp: s.epoch}
	*hint = int32(i)
	s.n++
	return true
}

// reset empties the set.
func (s *addrSet) reset() {
	s.epoch++
	s.n = 0
	if s.epoch == 0 {
		clear(s.slots)
		s.epoch = 1
	}
}

func (s *addrSet) grow() {
	old, oldEpoch := s.slots, s.epoch
	s.alloc(2 * len(old))
	for _, p := range old {
		if p.stamp != oldEpoch {
			continue
		}
		i := (uint64(p.key) * 0x9E3779B97F4A7C15) >> s.shift
		for s.slots[i].stamp == s.epoch {
			i = (i + 1) & s.mask
		}
		s.slots[i] = p
	}
}

// lineTable remembers, for each address, the latest line of the USER
// policy's window that holds it, as a virtual line number that keeps
// growing across wraps of the fill order. The window is the A lines before
// the newest, so an address is resident iff its latest line is at or after
// the window's first: a slide only records the lines that enter; nothing
// has to be taken out for the lines that leave. Pages whose every address
// fell out of the window are dropped when the table fills up, so it holds
// about a window's worth of addresses, not the layer's.
type lineTable struct {
	slots []linePage
	epoch uint32
	shift uint
	mask  uint64
	n     int        // pages in the table, current or stale
	spare []linePage // the table before the last rebuild, for the next one
	// dense, if not nil, replaces the pages: the latest line of address
	// lo+i is dense[i] (see useDense)
	dense    []int64
	lo       int64
	denseBuf []int64
}

// maxDense is the largest address range (in words, 8 bytes each) a
// lineTable keeps as one array instead of pages.
const maxDense = 1 << 20

// useDense makes the (just reset) table an array over the addresses
// [lo, hi]: a lookup is then one load, where a page probe mostly missed
// its hint (the ws ifmap's fill order jumps between pixels every cell)
// and hashed. The caller bounds hi-lo by maxDense and by the layer's
// fill order, so that clearing the array costs less than the scan that
// found the range.
func (t *lineTable) useDense(lo, hi int64) {
	size := hi - lo + 1
	if int64(cap(t.denseBuf)) < size {
		t.denseBuf = make([]int64, size)
	}
	t.dense, t.lo = t.denseBuf[:size], lo
	for i := range t.dense {
		t.dense[i] = -1
	}
}

type linePage struct {
	key   int64 // address >> pageBits
	stamp uint32
	max   int64            // largest line in lines
	lines [pageWords]int64 // latest line holding each address, -1 if none
}

func newLineTable() *lineTable {
	t := &lineTable{epoch: 1}
	t.alloc(16)
	return t
}

func (t *lineTable) alloc(size int) {
	t.slots = make([]linePage, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.mask = uint64(size - 1)
}

func (t *lineTable) home(key int64) uint64 {
	return (uint64(key) * 0x9E3779B97F4A7C15) >> t.shift
}

// reset empties the table.
func (t *lineTable) reset() {
	t.epoch++
	t.n = 0
	t.dense = nil
	if t.epoch == 0 {
		clear(t.slots)
		t.spare = nil // its stamps could match the epochs to come
		t.epoch = 1
	}
}

// latest returns the latest line recorded for a, or -1. hint is the slot
// the caller's stream used last (see addrSet.insert).
func (t *lineTable) latest(a int64, hint *int32) int64 {
	if t.dense != nil {
		if i := uint64(a - t.lo); i < uint64(len(t.dense)) {
			return t.dense[i]
		}
		return -1
	}
	key := a >> pageBits
	if h := *hint; uint(h) < uint(len(t.slots)) {
		if p := &t.slots[h]; p.key == key && p.stamp == t.epoch {
			return p.lines[a&(pageWords-1)]
		}
	}
	for i := t.home(key); ; i = (i + 1) & t.mask {
		p := &t.slots[i]
		if p.stamp != t.epoch {
			return -1
		}
		if p.key == key {
			*hint = int32(i)
			return p.lines[a&(pageWords-1)]
		}
	}
}

// record notes that line (larger than any recorded before) holds a.
// Lines before oldest no longer matter; pages holding only such lines may
// be dropped to make room. hint works as in latest.
func (t *lineTable) record(a, line, oldest int64, hint *int32) {
	if t.dense != nil { // a is in the fill order, so in range
		t.dense[a-t.lo] = line
		return
	}
	key := a >> pageBits

	if h := *hint; uint(h) < uint(len(t.slots)) {
		if p := &t.slots[h]; p.key == key && p.stamp == t.epoch {
			p.lines[a&(pageWords-1)] = line
			p.max = line
			return
		}
	}
	i := t.home(key)
	for ; t.slots[i].stamp == t.epoch; i = (i + 1) & t.mask {
		if p := &t.slots[i]; p.key == key {
			p.lines[a&(pageWords-1)] = line
			p.max = line
			*hint = int32(i)
			return
		}
	}
	if 2*(t.n+1) > len(t.slots) {
		t.rebuild(oldest)
		t.record(a, line, oldest, hint)
		return
	}
	*hint = int32(i)
	p := &t.slots[i]
	*p = linePage{key: key, stamp: t.epoch, max: line}
	for j := range p.lines {
		p.lines[j] = -1
	}
	p.lines[a&(pageWords-1)] = line
	t.n++
}

// rebuild drops the pages that hold no line from oldest on, and doubles
// the table while more than a quarter of it is still in use. The new table
// reuses the one the previous rebuild left (t.spare) when it is big
// enough: a new epoch makes its pages stale, so it needs no clearing (the
// window rebuilds its table every few slides; allocating and clearing a
// new one each time cost as much as the rebuild).
func (t *lineTable) rebuild(oldest int64) {
	old, oldEpoch := t.slots, t.epoch
	live := 0
	for i := range old {
		if old[i].stamp == oldEpoch && old[i].max >= oldest {
			live++
		}
	}
	size := len(old)
	for 4*live > size {
		size *= 2
	}
	t.epoch++
	wrapped := t.epoch == 0
	if wrapped || cap(t.spare) < size {
		t.alloc(size) // zeroed: stamp 0 is never an epoch
		if wrapped {
			t.epoch = 1
		}
	} else {
		t.slots = t.spare[:size]
		t.shift = uint(64 - bits.TrailingZeros(uint(size)))
		t.mask = uint64(size - 1)
	}
	t.spare = old
	t.n = live
	for i := range old {
		if p := &old[i]; p.stamp == oldEpoch && p.max >= oldest {
			j := t.home(p.key)
			for t.slots[j].stamp == t.epoch {
				j = (j + 1) & t.mask
			}
			t.slots[j] = *p
			t.slots[j].stamp = t.epoch
		}
	}
	if wrapped { // no old stamp may stay around to match the epochs to come
		clear(old)
	}
}
