package multicore_test

import (
	"testing"

	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
)

// TestSplitRoundsUp splits a layer whose output height SCALE-Sim rounds
// up: H=16, Fh=3, Sh=2 gives Eh = ceil((16-3)/2)+1 = 8 output rows, whose
// windows would reach ifmap row 7*2+3 = 17 of 16. The ifmap is 16 rows of
// W*Ch = 8*4 = 32 words: 512 words. Split into pixel parts, every share
// must stay inside those 512 words (the last share keeps the rows up to H
// instead of the rows its windows would reach), and the row ranges of the
// shares must together be exactly rows [0, 16): each row read, none past
// the end.
func TestSplitRoundsUp(t *testing.T) {
	l := systolic.Layer{Name: "up", H: 16, W: 8, Fh: 3, Fw: 3, Ch: 4, N: 6, Sh: 2, Sw: 2}
	if l.Eh() != 8 {
		t.Fatalf("test setup: Eh %d, want 8 (a layer that rounds up)", l.Eh())
	}
	const rowWords, ifmapWords = 8 * 4, 512
	base := systolic.Offsets{Ifmap: 1000, Filter: 1 << 20, Ofmap: 1 << 24}
	for _, split := range []multicore.Split{{2, 1}, {3, 1}, {4, 1}, {8, 1}, {2, 2}} {
		read := make([]int, 16) // shares reading each ifmap row (per filter part)
		for _, sh := range split.Shares(l, base) {
			if sh.Empty() {
				continue
			}
			first := sh.Offsets.Ifmap - base.Ifmap
			last := first + int64(sh.Layer.H)*int64(sh.Layer.W)*int64(sh.Layer.Ch)
			if first < 0 || last > ifmapWords {
				t.Errorf("%s core %d: reads ifmap words [%d, %d) of a %d-word ifmap", split, sh.Core, first, last, ifmapWords)
				last = min(last, ifmapWords)
			}
			if sh.Core%split.Filters != 0 {
				continue // the other filter parts read the same rows
			}
			for r := first / rowWords; r < last/rowWords; r++ {
				read[r]++
			}
		}
		// Rows covered: each at least once, and overlaps only where the
		// windows of neighbouring shares do overlap (Fh-Sh = 1 row).
		for r, n := range read {
			if n == 0 {
				t.Errorf("%s: ifmap row %d read by no share", split, r)
			}
		}
		shares := split.Shares(l, base)
		lastShare := shares[(split.Pixels-1)*split.Filters]
		if end := (lastShare.Offsets.Ifmap-base.Ifmap)/rowWords + int64(lastShare.Layer.H); end != 16 {
			t.Errorf("%s: the last share reads up to row %d, want exactly 16", split, end)
		}
	}
}
