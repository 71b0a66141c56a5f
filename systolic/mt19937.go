package systolic

// mt19937 is the Mersenne Twister (Matsumoto and Nishimura, 1998) as
// numpy's legacy global generator uses it: np.random.seed(s) for a Python
// int s in [0, 2^32-1] is the classic init_genrand(s). SCALE-Sim v3 draws
// its row-wise sparsity pattern from that generator, so reproducing v3's
// numbers needs this exact generator (Go's math/rand is a different one).
type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT19937(seed uint32) *mt19937 {
	g := &mt19937{idx: 624}
	g.mt[0] = seed
	for i := 1; i < 624; i++ {
		prev := g.mt[i-1]
		g.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return g
}

// uint32 is genrand_int32: the next tempered output.
func (g *mt19937) uint32() uint32 {
	const upper, lower = 0x80000000, 0x7fffffff
	if g.idx >= 624 {
		for i := range 624 {
			y := g.mt[i]&upper | g.mt[(i+1)%624]&lower
			v := g.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			g.mt[i] = v
		}
		g.idx = 0
	}
	y := g.mt[g.idx]
	g.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// randint is numpy's legacy np.random.randint(low, high) for one scalar in
// [low, high) with high-low-1 < 2^32: masked rejection sampling on whole
// 32-bit outputs; a range of one value consumes no output.
func (g *mt19937) randint(low, high int) int {
	rng := uint32(high - low - 1)
	if rng == 0 {
		return low
	}
	mask := rng
	for s := uint(1); s < 32; s <<= 1 {
		mask |= mask >> s
	}
	for {
		if v := g.uint32() & mask; v <= rng {
			return low + int(v)
		}
	}
}
