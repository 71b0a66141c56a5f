package dramsim

// addrMap maps byte addresses to the transactions waiting on them (a
// channel's pending reads, pending writes). It is looked up on every
// request and updated on every READ and WRITE, so it is a small table
// with open addressing and linear probing instead of a Go map, whose
// hashing and bookkeeping cost several times as much here.
type addrMap struct {
	keys  []uint64
	vals  []*trans // nil: free slot
	n     int
	shift uint // 64 - log2(len(vals))
}

const addrMapMinBits = 6

func newAddrMap() addrMap {
	return addrMap{keys: make([]uint64, 1<<addrMapMinBits), vals: make([]*trans, 1<<addrMapMinBits), shift: 64 - addrMapMinBits}
}

// home is the slot where k's search starts (Fibonacci hashing: the high
// bits of k times 2^64/phi, so addresses that differ only in high or only
// in low bits spread alike).
func (a *addrMap) home(k uint64) int { return int((k * 0x9e3779b97f4a7c15) >> a.shift) }

// get returns the transaction of k, or nil.
func (a *addrMap) get(k uint64) *trans {
	mask := len(a.vals) - 1
	for i := a.home(k); ; i = (i + 1) & mask {
		v := a.vals[i]
		if v == nil || a.keys[i] == k {
			return v
		}
	}
}

// put sets the transaction of k, which must not be in the map.
func (a *addrMap) put(k uint64, v *trans) {
	if 2*(a.n+1) > len(a.vals) {
		a.grow()
	}
	mask := len(a.vals) - 1
	i := a.home(k)
	for a.vals[i] != nil {
		i = (i + 1) & mask
	}
	a.keys[i], a.vals[i] = k, v
	a.n++
}

// del removes k if present. The entries after it in its probe run move
// back into the hole when their search would otherwise pass over it
// (backward-shift deletion: no tombstones, lookups stay short).
func (a *addrMap) del(k uint64) {
	mask := len(a.vals) - 1
	i := a.home(k)
	for a.vals[i] != nil && a.keys[i] != k {
		i = (i + 1) & mask
	}
	if a.vals[i] == nil {
		return
	}
	a.n--
	for {
		a.vals[i] = nil
		j := i
		for {
			j = (j + 1) & mask
			if a.vals[j] == nil {
				return
			}
			// The entry at j stays if its home lies cyclically in (i, j]:
			// its search never reaches i.
			h := a.home(a.keys[j])
			if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
				continue
			}
			break
		}
		a.keys[i], a.vals[i] = a.keys[j], a.vals[j]
		i = j
	}
}

func (a *addrMap) len() int { return a.n }

func (a *addrMap) grow() {
	keys, vals := a.keys, a.vals
	a.keys = make([]uint64, 2*len(keys))
	a.vals = make([]*trans, 2*len(vals))
	a.shift--
	a.n = 0
	for i, v := range vals {
		if v != nil {
			a.put(keys[i], v)
		}
	}
}
