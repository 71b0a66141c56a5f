package sram

import "math/bits"

// pageWords is the number of consecutive addresses an addrTable entry holds.
const (
	pageBits  = 4
	pageWords = 1 << pageBits
)

// addrTable counts word addresses: how many times each is held by a
// buffer's resident lines (USER policy) or whether it was seen since the
// last fetch point (CALC policy). It sits on the buffers' hot path, one
// lookup per demanded word, so it is built for that:
//
//   - addresses are grouped in pages of 16 consecutive words, because
//     demand streams touch runs of neighbouring addresses; a page is one
//     entry of an open-addressing table (linear probing, multiplicative
//     hash), so neighbours share a cache line and the table stays small;
//   - an epoch stamp per entry empties the whole table in O(1) (reset),
//     which the CALC policy does at every fetch point;
//   - the table grows with the pages in use, which a buffer's capacity
//     bounds, not with the layer.
type addrTable struct {
	slots []page
	epoch uint32
	shift uint
	mask  uint64
	n     int // live pages
}

// page is one table entry; it is live iff stamp equals the table's epoch.
type page struct {
	key    int64 // address >> pageBits (addresses are non-negative)
	stamp  uint32
	live   int32 // addresses of the page with a non-zero count
	counts [pageWords]int32
}

func newAddrTable() *addrTable {
	t := &addrTable{epoch: 1}
	t.alloc(16)
	return t
}

func (t *addrTable) alloc(size int) {
	t.slots = make([]page, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.mask = uint64(size - 1)
}

func (t *addrTable) home(key int64) uint64 {
	return (uint64(key) * 0x9E3779B97F4A7C15) >> t.shift
}

// find returns the slot of page key, or the empty slot where it would go.
func (t *addrTable) find(key int64) (uint64, bool) {
	for i := t.home(key); ; i = (i + 1) & t.mask {
		p := &t.slots[i]
		if p.stamp != t.epoch {
			return i, false
		}
		if p.key == key {
			return i, true
		}
	}
}

// get returns the count of a (0 if absent).
func (t *addrTable) get(a int64) int32 {
	i, ok := t.find(a >> pageBits)
	if !ok {
		return 0
	}
	return t.slots[i].counts[a&(pageWords-1)]
}

// getHinted is get with a hint: the slot of the page the caller's stream
// (a demand column) used last, which it updates. A hint is trusted only if
// its slot is live and holds the same page (a page has one live slot), so a
// stale hint is harmless.
func (t *addrTable) getHinted(a int64, hint *int32) int32 {
	key := a >> pageBits
	if h := *hint; uint(h) < uint(len(t.slots)) {
		if p := &t.slots[h]; p.key == key && p.stamp == t.epoch {
			return p.counts[a&(pageWords-1)]
		}
	}
	i, ok := t.find(key)
	if !ok {
		return 0
	}
	*hint = int32(i)
	return t.slots[i].counts[a&(pageWords-1)]
}

// add adds d to the count of a and returns the new count.
func (t *addrTable) add(a int64, d int32) int32 {
	key, off := a>>pageBits, a&(pageWords-1)
	i, ok := t.find(key)
	if !ok {
		if d == 0 {
			return 0
		}
		if 2*(t.n+1) > len(t.slots) {
			t.grow()
			i, _ = t.find(key)
		}
		t.slots[i] = page{key: key, stamp: t.epoch}
		t.n++
	}
	p := &t.slots[i]
	old := p.counts[off]
	p.counts[off] += d
	v := p.counts[off]
	switch {
	case old == 0 && v != 0:
		p.live++
	case old != 0 && v == 0:
		if p.live--; p.live == 0 {
			t.remove(i)
		}
	}
	return v
}

// remove empties slot i, shifting later entries of its probe run back so
// that every live page stays reachable from its home slot.
func (t *addrTable) remove(i uint64) {
	t.n--
	j := i
	for {
		j = (j + 1) & t.mask
		if t.slots[j].stamp != t.epoch {
			break
		}
		k := t.home(t.slots[j].key)
		// slot j stays if its home lies cyclically in (i, j]
		if (i < j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i].stamp = t.epoch - 1
}

// reset empties the table.
func (t *addrTable) reset() {
	t.epoch++
	t.n = 0
	if t.epoch == 0 { // wrapped: stamps 2^32 epochs old would look live
		clear(t.slots)
		t.epoch = 1
	}
}

// grow doubles the table.
func (t *addrTable) grow() {
	old, oldEpoch := t.slots, t.epoch
	t.alloc(2 * len(old))
	for _, p := range old {
		if p.stamp == oldEpoch {
			i, _ := t.find(p.key)
			t.slots[i] = p
		}
	}
}

// addrSet is the set flavour of addrTable, for the CALC policy, which only
// asks "seen since the last fetch point?": a page is 64 consecutive
// addresses as one bit mask, so an entry is 24 bytes and most lookups of a
// demand row land in a few cache lines.
type addrSet struct {
	slots []bitPage
	epoch uint32
	shift uint
	mask  uint64
	n     int
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
