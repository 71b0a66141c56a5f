package runner

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

// This file checks npusim's memory system (read buffers, write buffer, DRAM
// channels and the stall bookkeeping of the array) against a deliberately
// literal and slow reimplementation of SCALE-Sim v2's memory model, written
// from the semantics document (shared/reference/scalesim-v2-semantics.md
// §5.1-§5.4, §6.2, §6.3) and NOT from npusim's sram or dram packages.
//
// The reference materialises the full demand matrices (L rows, one per
// cycle) and the prefetch matrices with systolic.Mapping, which
// systolic/mapping_test.go verifies against literal matrices. Everything
// after that (buffers, sets, windows, triggers, drains, stalls, traces and
// report figures) is the document's pseudo-code, transcribed with Python
// semantics: sets are maps, numpy views are Go slices sharing the fetch
// matrix's rows, copies are copies.
//
// TestMemoryReferenceMatchesGolden anchors the reference itself to real
// SCALE-Sim output (the golden *_traces cases); TestMemoryModelMatchesReference
// then compares npusim with it on many small random configurations.

// ---------------------------------------------------------------------------
// Reference: small helpers.

// mrCeilDiv is ceil(a/b) for b > 0, as Python's math.ceil(a / b) on the
// small integers used here.
func mrCeilDiv(a, b int64) int64 {
	return int64(math.Ceil(float64(a) / float64(b)))
}

func mrMinusOnes(n int) []int64 {
	row := make([]int64, n)
	for i := range row {
		row[i] = -1
	}
	return row
}

// mrSet is a Python set of addresses built by insertions only: membership
// plus the insertion order, from which CPython's iteration order follows.
type mrSet struct {
	has   map[int64]bool
	order []int64
}

func newMRSet() *mrSet { return &mrSet{has: map[int64]bool{}} }

func (s *mrSet) add(a int64) {
	if !s.has[a] {
		s.has[a] = true
		s.order = append(s.order, a)
	}
}

// list is list(set): CPython 3.11 iteration order for float keys (§5.3,
// "QUIRK (set order)"). The hash of an integral float is its integer value.
func (s *mrSet) list() []int64 {
	mask := uint64(7)
	table := make([]int64, 8)
	used := make([]bool, 8)
	place := func(table []int64, used []bool, mask uint64, h int64) {
		perturb := uint64(h)
		i := uint64(h) & mask
		for {
			if i+9 <= mask {
				for j := i; j <= i+9; j++ {
					if !used[j] {
						used[j], table[j] = true, h
						return
					}
				}
			} else if !used[i] {
				used[i], table[i] = true, h
				return
			}
			perturb >>= 5
			i = (i*5 + 1 + perturb) & mask
		}
	}
	fill := uint64(0)
	for _, k := range s.order {
		place(table, used, mask, k)
		fill++
		if fill*5 >= mask*3 {
			minused := fill * 4
			if fill > 50000 {
				minused = fill * 2
			}
			size := uint64(8)
			for size <= minused {
				size <<= 1
			}
			nt, nu := make([]int64, size), make([]bool, size)
			for j := range table {
				if used[j] {
					place(nt, nu, size-1, table[j])
				}
			}
			table, used, mask = nt, nu, size-1
		}
	}
	out := make([]int64, 0, len(s.order))
	for j := range table {
		if used[j] {
			out = append(out, table[j])
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Reference: §5.2 USER mode read buffer.

type mrUserBuffer struct {
	active, prefetch, bw, eps int64
	fm                        [][]int64 // fetch matrix, bw columns
	sets                      []map[int64]bool
	numLines, actLines, pfLns int
	a, e                      int // active window [a, e)
	started                   bool
	colskip                   int64
	nextLine                  int
	last                      int64
	numAccess                 int64
	trace                     [][]int64 // response cycle, bw addresses
	prefetches                int
}

func newMRUserBuffer(kB int, bw int, prefetchMatrix []int64) *mrUserBuffer {
	total := int64(kB) * 1024
	b := &mrUserBuffer{bw: int64(bw)}
	b.active = int64(math.Ceil(float64(total) * 0.5))
	b.prefetch = total - b.active
	b.eps = mrCeilDiv(total, 100)

	// Fetch matrix: flatten row-major (prefetchMatrix already is) and re-wrap
	// into bw columns, padding the tail of the last row with -1.
	n := int64(len(prefetchMatrix))
	rows := mrCeilDiv(n, b.bw)
	b.fm = make([][]int64, rows)
	for r := range b.fm {
		b.fm[r] = mrMinusOnes(bw)
	}
	for i, v := range prefetchMatrix {
		b.fm[int64(i)/b.bw][int64(i)%b.bw] = v
	}

	// Hashed sets ("lines").
	cur, counter := map[int64]bool{}, int64(0)
	for _, row := range b.fm {
		for _, v := range row {
			if v == -1 {
				continue
			}
			cur[v] = true
			counter++
			if counter >= b.eps {
				b.sets = append(b.sets, cur)
				cur, counter = map[int64]bool{}, 0
			}
		}
	}
	b.sets = append(b.sets, cur) // QUIRK: even if empty
	b.numLines = len(b.sets)
	b.actLines = min(b.numLines, int(mrCeilDiv(b.active, b.eps)))
	b.pfLns = min(b.numLines-b.actLines, int(mrCeilDiv(b.prefetch, b.eps)))
	return b
}

func (b *mrUserBuffer) rows() int { return len(b.fm) }

func (b *mrUserBuffer) hit(addr int64) bool {
	if b.a < b.e {
		for k := b.a; k < b.e; k++ {
			if b.sets[k][addr] {
				return true
			}
		}
		return false
	}
	for k := b.a; k < b.numLines; k++ {
		if b.sets[k][addr] {
			return true
		}
	}
	for k := 0; k < b.e; k++ {
		if b.sets[k][addr] {
			return true
		}
	}
	return false
}

func (b *mrUserBuffer) record(resp int64, row []int64) {
	b.trace = append(b.trace, append([]int64{resp}, row...))
}

func (b *mrUserBuffer) firstFill(cyc int64) {
	n0 := int(min(mrCeilDiv(b.active, b.bw), int64(b.rows())))
	req := b.fm[0:n0] // a view: blanking edits the fetch matrix (QUIRK)
	b.numAccess += int64(n0) * b.bw
	b.colskip = 0
	if int64(n0)*b.bw > b.active {
		b.colskip = b.active % b.bw
		for j := b.colskip; j < b.bw; j++ {
			req[n0-1][j] = -1
		}
	}
	for j := range n0 {
		b.record(cyc-int64(n0)+int64(j), req[j]) // request c_j, response c_j+1
	}
	b.last = cyc - 1
	b.a, b.e = 0, b.actLines
	if int64(n0)*b.bw > b.active {
		b.nextLine = n0 % b.rows()
	} else {
		b.nextLine = (n0 + 1) % b.rows() // QUIRK: skips a line
	}
}

func (b *mrUserBuffer) newPrefetch() {
	b.prefetches++
	b.a = (b.a + b.pfLns) % b.numLines
	b.e = (b.a + b.actLines) % b.numLines

	n := int(mrCeilDiv(b.prefetch, b.bw))
	s := b.nextLine
	var req [][]int64
	if s+n > b.rows() { // wraps: a copy
		for r := s; r < b.rows(); r++ {
			req = append(req, append([]int64(nil), b.fm[r]...))
		}
		for r := 0; r < min(s+n-b.rows(), s); r++ {
			req = append(req, append([]int64(nil), b.fm[r]...))
		}
	} else { // a view into the fetch matrix
		req = b.fm[s : s+n]
	}
	b.numAccess += int64(n) * b.bw
	for j := int64(0); j < b.colskip; j++ { // QUIRK: first fill's colskip
		req[0][j] = -1
	}
	if int64(n)*b.bw > b.active { // QUIRK: compares against active
		for j := b.active % b.bw; j < b.bw; j++ {
			req[len(req)-1][j] = -1
		}
	}
	for j := range req {
		b.record(b.last+2+int64(j), req[j])
	}
	b.last = b.last + int64(n) + 1
	if int64(n)*b.bw > b.active { // QUIRK: not offset by s
		b.nextLine = n % b.rows()
	} else {
		b.nextLine = (n + 1) % b.rows()
	}
}

func (b *mrUserBuffer) service(row []int64, cyc int64) (int64, error) {
	if !b.started {
		b.started = true
		b.firstFill(cyc)
	}
	off := int64(1)
	for _, addr := range row {
		if addr == -1 {
			continue
		}
		for tries := 0; !b.hit(addr); tries++ {
			if tries > 2*b.numLines+2 {
				return 0, fmt.Errorf("reference: address %d never hits (SCALE-Sim would loop forever)", addr)
			}
			b.newPrefetch()
			if b.last-(cyc+off) > 0 {
				off += b.last - (cyc + off)
			}
		}
	}
	return cyc + off, nil
}

// ---------------------------------------------------------------------------
// Reference: §5.3 CALC mode read buffer (ReadBufferEstimateBw).

const (
	mrSA  = 50
	mrSP  = 50
	mrBW0 = 10
)

type mrEstimateBuffer struct {
	ipset        int
	rs, re       int
	sets         []*mrSet
	cur          *mrSet
	curID        int
	pstart, pend int64
	firstCycle   int64
	firstSeen    bool
	done         bool
	ps, pe       int
	numAccess    int64
	trace        [][]int64 // ragged: response cycle, bw addresses
	triggers     int
	emitErr      error
}

func newMREstimateBuffer(kB int) *mrEstimateBuffer {
	total := kB * 1024
	return &mrEstimateBuffer{
		ipset: total / 100, // floor
		rs:    0, re: mrSA - 1,
		cur:    newMRSet(),
		pstart: -2, pend: -1,
	}
}

func (b *mrEstimateBuffer) emit(from, to int, s, e int64, bw int64) {
	var list []int64
	for k := from; k <= to; k++ {
		list = append(list, b.sets[k].list()...)
	}
	b.numAccess += int64(len(list))
	rows := e - s + 1
	if int64(len(list)) > rows*bw && b.emitErr == nil {
		b.emitErr = fmt.Errorf("reference: emit of %d addresses into %d x %d (numpy reshape would fail)", len(list), rows, bw)
		return
	}
	for int64(len(list)) < rows*bw {
		list = append(list, -1)
	}
	for j := range rows {
		row := []int64{s + 1 + j}
		b.trace = append(b.trace, append(row, list[j*bw:(j+1)*bw]...))
	}
}

func (b *mrEstimateBuffer) service(row []int64, cyc int64) int64 {
	if !b.firstSeen {
		for _, a := range row {
			if a > -1 {
				b.firstSeen, b.firstCycle = true, cyc
				break
			}
		}
	}
	for _, addr := range row {
		if addr == -1 {
			continue
		}
		hit := false
		for k := b.rs; k < min(b.curID, b.re+1); k++ {
			if b.sets[k].has[addr] {
				hit = true
				break
			}
		}
		if hit || b.cur.has[addr] {
			continue
		}
		b.cur.add(addr)
		if len(b.cur.order) == b.ipset {
			b.sets = append(b.sets, b.cur)
			b.cur = newMRSet()
			b.curID++
			if b.curID == b.re+1 {
				b.triggers++
				if !b.done { // first trigger
					bw := int64(mrBW0)
					b.pend = b.firstCycle - 2
					b.pstart = b.pend - mrCeilDiv(int64(mrSP*b.ipset), bw) + 1
					b.emit(0, mrSA-1, b.pstart, b.pend, bw)
					b.ps, b.pe = b.re+1, b.re+mrSP
					b.done = true
				} else {
					bw := mrCeilDiv(int64(mrSP*b.ipset), b.pend-b.pstart+1)
					b.emit(b.ps, b.pe, b.pstart, b.pend, bw)
					b.ps += mrSP
					b.pe += mrSP
				}
				b.rs += mrSP
				b.re += mrSP
				b.pstart = b.pend + 1
				b.pend = cyc
			}
		}
	}
	return cyc + 1
}

func (b *mrEstimateBuffer) completeAllPrefetches() {
	if len(b.cur.order) > 0 {
		b.sets = append(b.sets, b.cur) // cur_id not incremented
	} else {
		b.curID--
	}
	if !b.done {
		b.pend = -2
		n := b.curID + 1
		b.pstart = b.pend - mrCeilDiv(int64(n*b.ipset), mrBW0) + 1
		b.emit(0, n-1, b.pstart, b.pend, mrBW0)
		return
	}
	b.pe = b.curID
	bw := mrCeilDiv(int64((b.curID-b.ps+1)*b.ipset), b.pend-b.pstart+1)
	b.emit(b.ps, b.curID, b.pstart, b.pend, bw)
}

// ---------------------------------------------------------------------------
// Reference: §5.4 OFMAP write buffer.

type mrWriteBuffer struct {
	total, active, drain int64
	bw                   int
	free                 int64
	drainEnd             int64
	lines                [][]int64 // committed lines
	curLine              []int64
	d                    int
	numAccess            int64
	trace                [][]int64 // write cycle, bw addresses
	drainsDuringRun      int
	stalls               int
}

func newMRWriteBuffer(kB, bw int) *mrWriteBuffer {
	total := int64(kB) * 1024
	active := int64(math.Ceil(float64(total) * 0.5))
	return &mrWriteBuffer{total: total, active: active, drain: total - active, bw: bw, free: total}
}

func (b *mrWriteBuffer) push(elem int64) {
	b.curLine = append(b.curLine, elem)
	if len(b.curLine) == b.bw {
		b.lines = append(b.lines, b.curLine)
		b.curLine = nil
	}
}

func (b *mrWriteBuffer) forceFlush() {
	if len(b.curLine) == 0 {
		return
	}
	for len(b.curLine) < b.bw {
		b.curLine = append(b.curLine, -1)
	}
	b.lines = append(b.lines, b.curLine)
	b.curLine = nil
}

func (b *mrWriteBuffer) drainChunk(start int64) int64 {
	k := int(mrCeilDiv(b.drain, int64(b.bw)))
	taken := b.lines[b.d:min(b.d+k, len(b.lines))]
	n := len(taken)
	sz := int64(0)
	if n > 0 {
		pads := 0
		for _, v := range taken[n-1] {
			if v == -1 {
				pads++
			}
		}
		sz = int64(n*b.bw - pads)
	}
	b.numAccess += sz
	for j, ln := range taken {
		b.trace = append(b.trace, append([]int64{start + int64(j)}, ln...))
	}
	b.free += sz
	b.d += n
	return start + int64(n) - 1
}

func (b *mrWriteBuffer) write(row []int64, cyc int64) int64 {
	cur := cyc
	for _, elem := range row {
		if elem == -1 {
			continue
		}
		b.push(elem)
		b.free--
		if cur < b.drainEnd {
			if b.free <= 0 {
				b.stalls++
				cur = b.drainEnd
			}
		} else if b.free < b.total-b.drain {
			b.forceFlush()
			b.drainsDuringRun++
			b.drainEnd = b.drainChunk(cur)
		}
	}
	return cur
}

func (b *mrWriteBuffer) emptyAllBuffers(c int64) {
	b.forceFlush()
	for b.d < len(b.lines) {
		b.drainEnd = b.drainChunk(c)
		c = b.drainEnd + 1
	}
}

// ---------------------------------------------------------------------------
// Reference: §5.1 top loop and §6.2/§6.3 outputs.

type mrOut struct {
	total, stall int64
	sram         [3][][]int64 // serve cycle, addresses
	dram         [3][][]int64 // cycle, addresses (ragged rows are padded with 1.0 on output)
	sramReads    [3]int64
	dramWords    [3]int64
	macs         int64
	pes          int64
	mapEff       float64
	computeUtil  float64

	// what the case exercised
	userPrefetches, calcTriggers, drainsDuringRun, writeStalls int
}

// mrSRAMReads is the §4.5 table.
func mrSRAMReads(m *systolic.Mapping, df systolic.Dataflow, R, C int) [3]int64 {
	l := m.Layer
	P, K, N := int64(l.P()), int64(l.K()), int64(l.N)
	rf, cf := int64(m.RowFolds()), int64(m.ColFolds())
	folds := rf * cf
	switch df {
	case systolic.WS:
		return [3]int64{cf * P * K, K * N, rf * P * N}
	case systolic.IS:
		return [3]int64{K * P, cf * K * N, rf * P * N}
	}
	return [3]int64{cf * K * P, rf * K * N, P*N + folds*int64(R+C)}
}

// mrSimulate runs the reference on one layer.
func mrSimulate(cfg config.Config, l systolic.Layer) (*mrOut, error) {
	R, C := cfg.ArrayHeight, cfg.ArrayWidth
	m := systolic.NewMapping(l, cfg.Dataflow, R, C,
		systolic.Offsets{Ifmap: cfg.IfmapOffset, Filter: cfg.FilterOffset, Ofmap: cfg.OfmapOffset})
	L := int(m.Rows())

	// Demand matrices (L x width) and prefetch matrices, materialised.
	var demand [3][][]int64
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		w := m.Width(op)
		mat := make([][]int64, 0, L)
		buf := make([]int64, w)
		for fi := range m.NumFolds() {
			d := m.Demand(m.Fold(fi), op)
			for t := range m.FoldLen() {
				copy(buf, mrMinusOnes(w))
				lo, hi := d.Row(t, buf)
				row := mrMinusOnes(w)
				copy(row[lo:hi], buf[lo:hi])
				mat = append(mat, row)
			}
		}
		demand[op] = mat
	}
	prefetchMatrix := func(op protocol.Operand) []int64 {
		fo := m.FillOrder(op)
		cur := fo.Cursor()
		seq := make([]int64, fo.Len())
		for i := range seq {
			seq[i] = cur.Next()
		}
		return seq
	}

	// §5.1 buffer setup.
	type reader interface {
		service(row []int64, cyc int64) (int64, error)
	}
	var readers [2]reader
	var users [2]*mrUserBuffer
	var ests [2]*mrEstimateBuffer
	var wb *mrWriteBuffer
	kB := [3]int{cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB}
	if cfg.BandwidthMode == config.USER {
		bw := cfg.Bandwidth[0]
		for op := range 2 {
			users[op] = newMRUserBuffer(kB[op], bw, prefetchMatrix(protocol.Operand(op)))
			readers[op] = users[op]
		}
		wb = newMRWriteBuffer(kB[2], bw)
	} else {
		for op := range 2 {
			ests[op] = newMREstimateBuffer(kB[op])
			readers[op] = mrEstimateReader{ests[op]}
		}
		wb = newMRWriteBuffer(kB[2], C)
	}

	out := &mrOut{}
	stall := int64(0)
	var tOf int64
	for i := range L {
		cyc := int64(i) + stall
		tIf, err := readers[0].service(demand[0][i], cyc)
		if err != nil {
			return nil, err
		}
		tFl, err := readers[1].service(demand[1][i], cyc)
		if err != nil {
			return nil, err
		}
		tOf = wb.write(demand[2][i], cyc)
		sIf, sFl, sOf := tIf-cyc-1, tFl-cyc-1, tOf-cyc
		stall += max(sIf, sFl, sOf)
		for op, tc := range []int64{tIf, tFl, tOf} {
			out.sram[op] = append(out.sram[op], append([]int64{tc}, demand[op][i]...))
		}
	}
	if cfg.BandwidthMode == config.CALC {
		for _, e := range ests {
			e.completeAllPrefetches()
			if e.emitErr != nil {
				return nil, e.emitErr
			}
		}
	}
	wb.emptyAllBuffers(tOf)

	out.total, out.stall = tOf, stall
	for op := range 2 {
		if users[op] != nil {
			out.dram[op], out.dramWords[op] = users[op].trace, users[op].numAccess
			out.userPrefetches += users[op].prefetches
		} else {
			out.dram[op], out.dramWords[op] = ests[op].trace, ests[op].numAccess
			out.calcTriggers += ests[op].triggers
		}
	}
	out.dram[2], out.dramWords[2] = wb.trace, wb.numAccess
	out.drainsDuringRun, out.writeStalls = wb.drainsDuringRun, wb.stalls

	out.sramReads = mrSRAMReads(m, cfg.Dataflow, R, C)
	out.macs = int64(l.P()) * int64(l.N) * int64(l.K())
	out.pes = int64(R * C)
	var me, cu float64
	for fi := range m.NumFolds() {
		f := m.Fold(fi)
		me += m.MappingEfficiency(f)
		cu += m.ComputeUtil(f)
	}
	out.mapEff = me / float64(m.NumFolds()) * 100
	out.computeUtil = cu / float64(m.NumFolds()) * 100
	return out, nil
}

type mrEstimateReader struct{ b *mrEstimateBuffer }

func (r mrEstimateReader) service(row []int64, cyc int64) (int64, error) {
	return r.b.service(row, cyc), nil
}

// sramSpan is the serve cycles of the first and last SRAM trace rows holding
// an address (§6.2).
func (o *mrOut) sramSpan(op int) (start, stop int64) {
	first := true
	for _, row := range o.sram[op] {
		for _, a := range row[1:] {
			if a != -1 {
				if first {
					start, first = row[0], false
				}
				stop = row[0]
				break
			}
		}
	}
	return start, stop
}

func (o *mrOut) dramSpan(op int) (start, stop int64) {
	tr := o.dram[op]
	return tr[0][0], tr[len(tr)-1][0]
}

// reportLines are the reference's COMPUTE, BANDWIDTH and DETAILED rows of
// layer id, formatted as SCALE-Sim writes them (§6.2).
func (o *mrOut) reportLines(id int) [3]string {
	join := func(items []string) string { return strings.Join(items, ", ") + "," }
	f := py.Float
	i := strconv.FormatInt
	total := float64(o.total)
	compute := []string{strconv.Itoa(id), i(o.total, 10), i(o.stall, 10),
		f(float64(o.macs*100) / (total * float64(o.pes))), f(o.mapEff), f(o.computeUtil)}
	bandwidth := []string{strconv.Itoa(id)}
	for op := range 3 {
		bandwidth = append(bandwidth, f(float64(o.sramReads[op])/total))
	}
	for op := range 3 {
		s, e := o.dramSpan(op)
		bandwidth = append(bandwidth, f(float64(o.dramWords[op])/float64(e-s+1)))
	}
	detailed := []string{strconv.Itoa(id)}
	for op := range 3 {
		s, e := o.sramSpan(op)
		detailed = append(detailed, f(float64(s)), f(float64(e)), i(o.sramReads[op], 10))
	}
	for op := range 3 {
		s, e := o.dramSpan(op)
		detailed = append(detailed, f(float64(s)), f(float64(e)), i(o.dramWords[op], 10))
	}
	return [3]string{join(compute), join(bandwidth), join(detailed)}
}

// traceLines are the reference's six trace files (§6.3), by file name.
func (o *mrOut) traceLines() map[string][]string {
	files := map[string][]string{}
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		var sram []string
		for _, row := range o.sram[op] {
			items := make([]string, len(row))
			for j, v := range row {
				items[j] = strconv.FormatInt(v, 10)
			}
			sram = append(sram, strings.Join(items, ","))
		}
		files[op.String()+"_SRAM_TRACE.csv"] = sram

		width := 0
		for _, row := range o.dram[op] {
			width = max(width, len(row)-1)
		}
		var dram []string
		for _, row := range o.dram[op] {
			items := make([]string, 0, width+1)
			for _, v := range row {
				items = append(items, py.Float(float64(v)))
			}
			for len(items) < width+1 { // QUIRK: narrower chunks padded with 1.0
				items = append(items, "1.0")
			}
			dram = append(dram, strings.Join(items, ","))
		}
		files[op.String()+"_DRAM_TRACE.csv"] = dram
	}
	return files
}

// ---------------------------------------------------------------------------
// Comparison helpers.

// mrDiffReport returns "" if the report rows match (integers exactly,
// floats to 1e-9 relative, via sameItem), else a description.
func mrDiffReport(name, header, want, got string) string {
	wf, gf := strings.Split(want, ", "), strings.Split(got, ", ")
	if len(wf) != len(gf) {
		return fmt.Sprintf("%s:\n  got  %s\n  want %s", name, got, want)
	}
	cols := strings.Split(header, ", ")
	var diffs []string
	for j := range wf {
		if !sameItem(wf[j], gf[j]) {
			col := ""
			if j < len(cols) {
				col = cols[j]
			}
			diffs = append(diffs, fmt.Sprintf("%q got %s want %s", col, strings.TrimSuffix(gf[j], ","), strings.TrimSuffix(wf[j], ",")))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s\n  got  %s\n  want %s", name, strings.Join(diffs, "; "), got, want)
}

// mrDiffTrace returns "" if the traces match row for row (DRAM rows as the
// cycle plus the multiset of addresses), else the first differing row.
func mrDiffTrace(name string, want, got []string, dram bool) string {
	bad, first := 0, ""
	for n := 0; n < min(len(want), len(got)); n++ {
		if !sameTraceRow(want[n], got[n], dram) {
			if bad == 0 {
				first = fmt.Sprintf("first differing row %d:\n  got  %s\n  want %s", n+1, got[n], want[n])
			}
			bad++
		}
	}
	if bad == 0 && len(want) == len(got) {
		return ""
	}
	msg := fmt.Sprintf("%s: %d rows, want %d; %d rows differ", name, len(got), len(want), bad)
	if first != "" {
		msg += "; " + first
	} else if len(got) > len(want) {
		msg += fmt.Sprintf("; first extra row %d: %s", len(want)+1, got[len(want)])
	} else {
		msg += fmt.Sprintf("; first missing row %d: %s", len(got)+1, want[len(got)])
	}
	return msg
}

// mrReadFile reads a report or trace file as lines (none for an empty file).
func mrReadFile(t *testing.T, path string) []string {
	t.Helper()
	lines := readLines(t, path)
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

var mrReports = [3]struct{ file, header string }{
	{"COMPUTE_REPORT.csv", report.ComputeHeader},
	{"BANDWIDTH_REPORT.csv", report.BandwidthHeader},
	{"DETAILED_ACCESS_REPORT.csv", report.DetailedHeader},
}

// ---------------------------------------------------------------------------
// The reference against SCALE-Sim itself.

// mrGoldenCases are the golden cases the reference is checked against: all
// those with traces, and the report-only ones the slow reference runs in
// well under a second, which add CALC set triggers, long chains of USER
// prefetches and write-buffer stalls.
var mrGoldenCases = []string{
	"tiny_4x4_os_traces", "tiny_4x4_ws_traces", "tiny_4x4_is_traces",
	"tiny_4x4_os_user2_traces", "tiny_4x4_ws_user2_traces", "tiny_4x4_is_user2_traces",
	"stall_8x8_os_user1", "stall_8x8_ws_user1", "stall_8x8_is_user1",
	"rect_16x4_os_user4", "rect_16x4_ws_user4", "rect_16x4_is_user4",
	"gemm_sd_16x16_is", "mnk_test_32x32_os", "mnk_test_32x32_ws", "mnk_test_32x32_is",
}

// TestMemoryReferenceMatchesGolden checks the reference itself against real
// SCALE-Sim output: all three report rows of every layer, and every trace
// file where the golden case has them (DRAM rows byte for byte, as the
// reference emulates CPython's set order).
func TestMemoryReferenceMatchesGolden(t *testing.T) {
	for _, name := range mrGoldenCases {
		dir := filepath.Join("../testdata/golden", name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, layers, traces := loadGolden(t, dir)
			var reports [3][]string
			for k, r := range mrReports {
				reports[k] = mrReadFile(t, filepath.Join(dir, r.file))
				if len(reports[k]) != len(layers)+1 {
					t.Fatalf("%s: %d lines for %d layers", r.file, len(reports[k]), len(layers))
				}
			}
			for i, l := range layers {
				out, err := mrSimulate(cfg, l)
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				for k, line := range out.reportLines(i) {
					if d := mrDiffReport(mrReports[k].file, mrReports[k].header, reports[k][i+1], line); d != "" {
						t.Errorf("layer %d: reference differs from SCALE-Sim: %s", i, d)
					}
				}
				if !traces {
					continue
				}
				for name, lines := range out.traceLines() {
					want := mrReadFile(t, filepath.Join(dir, fmt.Sprintf("layer%d", i), name))
					if d := mrDiffTrace(name, want, lines, false); d != "" {
						t.Errorf("layer %d: reference differs from SCALE-Sim: %s", i, d)
					}
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// npusim against the reference.

type mrCase struct {
	cfg   Config
	layer systolic.Layer
	gemm  bool
}

func (c mrCase) String() string {
	cfg, l := c.cfg, c.layer
	mode := "CALC"
	if cfg.BandwidthMode == config.USER {
		mode = fmt.Sprintf("USER Bandwidth=%v", cfg.Bandwidth)
	}
	s := fmt.Sprintf("Array=%dx%d Dataflow=%s %s SRAMkB(if,fl,of)=%d,%d,%d Offsets(if,fl,of)=%d,%d,%d; ",
		cfg.ArrayHeight, cfg.ArrayWidth, cfg.Dataflow, mode,
		cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB,
		cfg.IfmapOffset, cfg.FilterOffset, cfg.OfmapOffset)
	if c.gemm {
		return s + fmt.Sprintf("gemm row (name,M,N,K): %s, %d, %d, %d,", l.Name, l.H, l.N, l.W)
	}
	return s + fmt.Sprintf("conv row (name,H,W,Fh,Fw,Ch,N,Sh,Sw): %s, %d, %d, %d, %d, %d, %d, %d, %d,",
		l.Name, l.H, l.W, l.Fh, l.Fw, l.Ch, l.N, l.Sh, l.Sw)
}

// mrMaxRows bounds the demand rows (cycles before stalls) of a random case.
const mrMaxRows = 6000

func mrRandomCase(rng *rand.Rand) mrCase {
	for {
		cfg := config.Config{
			RunName:      "ref",
			ArrayHeight:  1 + rng.Intn(8),
			ArrayWidth:   1 + rng.Intn(8),
			IfmapSRAMKB:  1 + rng.Intn(3),
			FilterSRAMKB: 1 + rng.Intn(3),
			OfmapSRAMKB:  1 + rng.Intn(3),
			Dataflow:     systolic.Dataflow(rng.Intn(3)),
			MemoryBanks:  1,
		}
		switch rng.Intn(6) { // make 1-row and 1-column arrays common
		case 0:
			cfg.ArrayHeight = 1
		case 1:
			cfg.ArrayWidth = 1
		}
		if rng.Intn(2) == 0 {
			cfg.BandwidthMode = config.USER
			cfg.Bandwidth = []int{1 + rng.Intn(6)}
			if rng.Intn(2) == 0 { // narrow: long prefetches and drains, stalls
				cfg.Bandwidth[0] = 1 + rng.Intn(2)
			}
			if rng.Intn(4) == 0 { // only Bandwidth[0] counts
				cfg.Bandwidth = append(cfg.Bandwidth, 1+rng.Intn(6))
			}
		}
		if rng.Intn(3) == 0 {
			cfg.IfmapOffset, cfg.FilterOffset, cfg.OfmapOffset = 0, 10000000, 20000000
		} else {
			cfg.IfmapOffset = rng.Int63n(1 << 20)
			cfg.FilterOffset = rng.Int63n(1 << 24)
			cfg.OfmapOffset = rng.Int63n(1 << 24)
		}
		if rng.Intn(2) == 0 { // 1 kB buffers overflow soonest
			cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB = 1, 1, 1
		}

		c := mrCase{cfg: cfg}
		if rng.Intn(8) == 0 { // stress: narrow USER bandwidth and 1 kB buffers under heavy traffic
			c.cfg.BandwidthMode, c.cfg.Bandwidth = config.USER, []int{1 + rng.Intn(2)}
			c.cfg.IfmapSRAMKB, c.cfg.FilterSRAMKB, c.cfg.OfmapSRAMKB = 1, 1, 1
			c.cfg.ArrayWidth = 4 + rng.Intn(5)
			c.cfg.Dataflow = systolic.Dataflow(rng.Intn(2)) // os or ws write fastest
			l := systolic.Layer{Name: "s", H: 10 + rng.Intn(3), W: 10 + rng.Intn(3),
				Ch: 2 + rng.Intn(3), N: 6 + rng.Intn(4), Sh: 1, Sw: 1}
			l.Fh, l.Fw = 1+rng.Intn(3), 1+rng.Intn(3)
			c.layer = l
		} else {
			c.layer = mrRandomLayer(rng, &c.gemm)
		}
		if c.layer.Validate() != nil {
			continue
		}
		m := systolic.NewMapping(c.layer, c.cfg.Dataflow, c.cfg.ArrayHeight, c.cfg.ArrayWidth, systolic.Offsets{})
		if rows := m.Rows(); rows >= 2 && rows <= mrMaxRows { // Total Cycles >= 1
			return c
		}
	}
}

// mrRandomLayer draws a GEMM (setting *gemm) or a convolution.
func mrRandomLayer(rng *rand.Rand, gemm *bool) systolic.Layer {
	switch rng.Intn(8) {
	case 0, 1:
		*gemm = true
		return systolic.GEMM("g", 1+rng.Intn(20), 1+rng.Intn(20), 1+rng.Intn(20))
	case 2: // large filters: many filter words (CALC triggers, USER prefetches)
		l := systolic.Layer{Name: "f", H: 6 + rng.Intn(7), W: 6 + rng.Intn(7),
			Ch: 2 + rng.Intn(3), N: 4 + rng.Intn(6), Sh: 1 + rng.Intn(3)}
		l.Fh, l.Fw = l.H-rng.Intn(3), l.W-rng.Intn(3)
		l.Sw = 1 + rng.Intn(3)
		return l
	default:
		l := systolic.Layer{Name: "c", H: 1 + rng.Intn(12), W: 1 + rng.Intn(12),
			Ch: 1 + rng.Intn(4), N: 1 + rng.Intn(9), Sh: 1 + rng.Intn(3)}
		if rng.Intn(2) == 0 { // a large IFMAP: many ifmap and ofmap words
			l.H, l.W, l.Ch = 8+rng.Intn(5), 8+rng.Intn(5), 2+rng.Intn(3)
		}
		l.Fh, l.Fw = 1+rng.Intn(l.H), 1+rng.Intn(l.W)
		if rng.Intn(2) == 0 { // small filters keep the pixel count high
			l.Fh, l.Fw = 1+rng.Intn(min(3, l.H)), 1+rng.Intn(min(3, l.W))
		}
		l.Sw = l.Sh
		if rng.Intn(3) == 0 {
			l.Sw = 1 + rng.Intn(3)
		}
		return l
	}
}

// mrCompareRun compares the reports and traces npusim wrote into dir (the
// run folder) with the reference's; it returns one description per
// differing file.
func mrCompareRun(t *testing.T, dir string, want *mrOut) []string {
	t.Helper()
	var diffs []string
	for k, line := range want.reportLines(0) {
		got := mrReadFile(t, filepath.Join(dir, mrReports[k].file))
		if len(got) != 2 {
			diffs = append(diffs, fmt.Sprintf("%s: %d lines, want 2", mrReports[k].file, len(got)))
			continue
		}
		if d := mrDiffReport(mrReports[k].file, mrReports[k].header, line, got[1]); d != "" {
			diffs = append(diffs, d)
		}
	}
	wantTraces := want.traceLines()
	for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter, protocol.Ofmap} {
		for _, kind := range []string{"_SRAM_TRACE.csv", "_DRAM_TRACE.csv"} {
			name := op.String() + kind
			got := mrReadFile(t, filepath.Join(dir, "layer0", name))
			if d := mrDiffTrace(name, wantTraces[name], got, kind == "_DRAM_TRACE.csv"); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	return diffs
}

// TestMemoryModelMatchesReference runs npusim on random small
// configurations and layers (fixed seed) and compares its three report rows
// (integers exactly, floats to 1e-9) and its six traces (SRAM rows exactly,
// DRAM rows as the cycle plus the multiset of addresses) with the literal
// reference of SCALE-Sim's memory model.
func TestMemoryModelMatchesReference(t *testing.T) {
	const numCases = 250
	rng := rand.New(rand.NewSource(0x5ca1e5))
	cases := make([]mrCase, numCases)
	for i := range cases {
		cases[i] = mrRandomCase(rng)
	}

	var userStalls, calcTriggers, drains, writeStalls, minusOne atomic.Int64
	t.Run("case", func(t *testing.T) {
		for i, c := range cases {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				want, err := mrSimulate(c.cfg, c.layer)
				if err != nil {
					t.Fatalf("case %d: %s\n%v", i, c, err)
				}
				if want.userPrefetches > 0 && want.stall > 0 {
					userStalls.Add(1)
				}
				if want.calcTriggers > 0 {
					calcTriggers.Add(1)
				}
				if want.drainsDuringRun > 0 {
					drains.Add(1)
				}
				if want.writeStalls > 0 {
					writeStalls.Add(1)
				}
				if l := c.layer; (l.H-l.Fh)%l.Sh != 0 || (l.W-l.Fw)%l.Sw != 0 {
					minusOne.Add(1)
				}

				logDir := t.TempDir()
				if _, err := Run(c.cfg, []systolic.Layer{c.layer}, Options{LogDir: logDir, Traces: true}); err != nil {
					t.Fatalf("case %d: %s\nnpusim: %v", i, c, err)
				}
				dir := filepath.Join(logDir, c.cfg.RunName)
				// Without traces the buffers take shortcuts (whole ofmap rows
				// at once); the reports must not change.
				plainDir := t.TempDir()
				if _, err := Run(c.cfg, []systolic.Layer{c.layer}, Options{LogDir: plainDir}); err != nil {
					t.Fatalf("case %d: %s\nnpusim without traces: %v", i, c, err)
				}
				for _, f := range []string{"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"} {
					traced, _ := os.ReadFile(filepath.Join(dir, f))
					plain, _ := os.ReadFile(filepath.Join(plainDir, c.cfg.RunName, f))
					if string(traced) != string(plain) {
						t.Errorf("case %d: %s differs with and without traces\n  case: %s", i, f, c)
					}
				}
				diffs := mrCompareRun(t, dir, want)
				if len(diffs) == 0 {
					return
				}
				t.Errorf("case %d: npusim differs from the reference\n  case: %s\n  %s",
					i, c, strings.Join(diffs, "\n  "))
			})
		}
	})

	t.Logf("%d cases: %d with USER prefetch stalls, %d with CALC set triggers, %d with drains before "+
		"the end, %d with write-buffer stalls, %d with -1 ifmap cells",
		numCases, userStalls.Load(), calcTriggers.Load(), drains.Load(), writeStalls.Load(),
		minusOne.Load())
	for name, n := range map[string]int64{"USER prefetch stalls": userStalls.Load(),
		"CALC triggers": calcTriggers.Load(), "write drains": drains.Load(),
		"write-buffer stalls": writeStalls.Load(), "-1 ifmap cells": minusOne.Load()} {
		if n == 0 {
			t.Errorf("the random cases no longer exercise %s; adjust the generator", name)
		}
	}
}
