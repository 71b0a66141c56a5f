package systolic

import "sync"

// maxPixelTable is the largest layer (in output pixels) whose pixels a
// Mapping tabulates for the ws ifmap (32 bytes a pixel, so 4 MB at most);
// a variable so that tests can run the untabulated path on small layers.
var maxPixelTable = 1 << 17

// pixelTable holds every output pixel's window, made once per mapping on
// first use: the ws ifmap (its demand rows and USER fill order) visits each
// pixel once per window element, and working a pixel out each time (a
// division and a multiply-add or two) was most of a USER-mode ws layer's
// work.
type pixelTable struct {
	once sync.Once
	px   []pixel
}

// pixels returns the table of all output pixels, or nil when the layer is
// larger than maxPixelTable. Safe for concurrent use (a mapping's operands
// are walked on their own goroutines).
func (m *Mapping) pixels() []pixel {
	if m.pxTab == nil || m.p > maxPixelTable {
		return nil
	}
	t := m.pxTab
	t.once.Do(func() {
		t.px = make([]pixel, m.p)
		for p := range t.px {
			t.px[p] = m.pixel(p)
		}
	})
	return t.px
}

// diagRows is NextN for the ws ifmap's anti-diagonal order with the pixel
// table: the cells of a diagonal inside one block are pixels i, i-1, ...
// with window elements k, k+1, ..., taken in one loop.
func (c *fillCursor) diagRows(buf []int64, tab []pixel) {
	o, m := c.o, c.o.m
	for j := 0; j < len(buf); {
		// cells from the cursor on along its diagonal, in its block: the
		// diagonal goes on while the row is above 0 of the block and the
		// column below the last
		n := min(c.i+1, o.width-c.c, len(buf)-j)
		out := buf[j : j+n]
		k0 := c.b*o.width + c.c
		px := tab[c.i-n+1 : c.i+1] // pixel c.i-q is px[n-1-q]
		valid := max(0, min(n, m.k-k0))
		if m.kOff != nil && valid > 0 {
			kOff := m.kOff[k0 : k0+valid]
			for q, off := range kOff {
				if p := &px[n-1-q]; p.inside {
					out[q] = p.base + off
				} else {
					out[q] = p.addr(m, k0+q)
				}
			}
		} else {
			for q := range valid {
				out[q] = px[n-1-q].addr(m, k0+q)
			}
		}
		for q := valid; q < n; q++ {
			out[q] = -1
		}
		j += n
		// onto the last cell taken, then one step as advance takes it
		c.r -= n - 1
		c.c += n - 1
		c.i -= n - 1
		c.advance()
	}
}
