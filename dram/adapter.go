package dram

import (
	"fmt"
	"slices"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// Adapter connects one operand buffer to a real akita memory. On its "Top"
// port it takes protocol.BurstReq from the buffer; on its "Bottom" port it
// speaks akita's memory protocol (mem.ReadReq / mem.WriteReq) to memory
// controllers, found by address with a mem.LowModuleFinder.
//
// A burst becomes one request per RequestBytes-aligned block of byte
// addresses its Ranges touch (word address x WordBytes): a range that starts
// or ends inside a block still costs that whole block, and a block two
// ranges of the burst share is requested once. The blocks are requested in
// increasing address order.
//
// Requests leave no earlier than engine cycle Origin+At of their burst, at
// most IssuePerCycle per cycle, at most MaxInFlight outstanding, and, when
// BytesPerCycle is set, no faster than the buffer interface moves the
// burst's words: a request goes out once the interface has had time to move
// the words of all requests of the burst up to and including it, so that a
// burst of B bytes issues its last request B/BytesPerCycle - 1 cycles after
// the first, as the ideal channel moves a line per cycle. Bursts are served
// FIFO, several may be in flight. A burst completes when the response of its
// last request arrives: BurstRsp.Done = engine cycle of that arrival -
// Origin.
//
// A burst without Ranges (the buffer was not asked for addresses, as in
// CALC mode, or it moves no line) is answered at once with Done = At +
// Lines and moves nothing; npusim's runner never connects a real memory in
// CALC mode.
//
// The adapter sleeps whenever it waits for a response or for its burst's
// start, and wakes itself at the cycle the interface rate lets the next
// request go: it never ticks idle.
type Adapter struct {
	*protocol.TickingComponent

	top, bottom   sim.Port
	finder        mem.LowModuleFinder
	conv          mem.AddressConverter
	wordBytes     uint64
	reqBytes      uint64
	maxInFlight   int
	issuePerCycle int
	bytesPerCycle int64
	zeros         []byte // write payload, shared by every write request
	clean         []bool // its dirty mask: no byte is written
	writeData     func(addr uint64, data []byte)

	queue    []*burst // bursts with requests left to issue, FIFO
	inflight map[string]inflightReq
	active   int // bursts received and not yet answered
	clock    *protocol.Clock
	outbox   protocol.Outbox // burst answers

	// issue rate state
	issueCycle int64 // cycle of the last issue
	issuedThen int   // requests issued in issueCycle
	ifaceFree  int64 // interface time, in bytes (cycle x BytesPerCycle), at which it is free

	stats AdapterStats
	hist  latencyHist
}

// burst is one BurstReq being served.
type burst struct {
	req         *protocol.BurstReq
	blocks      []uint64 // byte addresses of the blocks to request, ascending
	payload     []int64  // bytes of the burst's words in each block
	words       int64    // words the ranges hold
	next        int      // next block to issue
	outstanding int
	start       int64 // engine cycle at which the first request may go
	slot        int64 // cycle the interface lets block next go, -1 if not reserved yet
}

type inflightReq struct {
	b      *burst
	issued int64
}

// AdapterBuilder builds Adapters.
type AdapterBuilder struct {
	engine        sim.Engine
	freq          sim.Freq
	finder        mem.LowModuleFinder
	conv          mem.AddressConverter
	wordBytes     int
	reqBytes      int
	maxInFlight   int
	issuePerCycle int
	bytesPerCycle int
	writeData     func(addr uint64, data []byte)
}

// MakeAdapterBuilder returns a builder with the defaults: 1-byte words
// (SCALE-Sim's), 64-byte requests, 64 requests in flight, one request
// issued per cycle and no interface rate limit. It has no clock: the
// adapter must run the accelerator's (WithFreq), since a burst's cycles
// are the accelerator's, and there is no safe default.
func MakeAdapterBuilder() AdapterBuilder {
	return AdapterBuilder{wordBytes: 1, reqBytes: 64, maxInFlight: 64, issuePerCycle: 1}
}

// WithEngine sets the engine.
func (b AdapterBuilder) WithEngine(e sim.Engine) AdapterBuilder { b.engine = e; return b }

// WithFreq sets the adapter's clock, the clock Done is counted in (the
// accelerator's).
func (b AdapterBuilder) WithFreq(f sim.Freq) AdapterBuilder { b.freq = f; return b }

// WithLowModuleFinder sets how a request's (converted) address finds its
// memory controller's port (required).
func (b AdapterBuilder) WithLowModuleFinder(f mem.LowModuleFinder) AdapterBuilder {
	b.finder = f
	return b
}

// WithAddressConverter sets a mapping applied to every request address
// before routing (nil: none). Memories use it to spread consecutive blocks
// over banks (see BankInterleaver).
func (b AdapterBuilder) WithAddressConverter(c mem.AddressConverter) AdapterBuilder {
	b.conv = c
	return b
}

// WithWordBytes sets the bytes per word of the buffers' word addresses.
func (b AdapterBuilder) WithWordBytes(n int) AdapterBuilder { b.wordBytes = n; return b }

// WithRequestBytes sets the size (and alignment) of each memory request; a
// power of two.
func (b AdapterBuilder) WithRequestBytes(n int) AdapterBuilder { b.reqBytes = n; return b }

// WithMaxInFlight limits the requests outstanding at the memory.
func (b AdapterBuilder) WithMaxInFlight(n int) AdapterBuilder { b.maxInFlight = n; return b }

// WithIssuePerCycle limits the requests issued per cycle.
func (b AdapterBuilder) WithIssuePerCycle(n int) AdapterBuilder { b.issuePerCycle = n; return b }

// WithBytesPerCycle sets the buffer interface's width in bytes per cycle
// (0: unlimited), which paces the requests of a burst (see Adapter).
func (b AdapterBuilder) WithBytesPerCycle(n int) AdapterBuilder { b.bytesPerCycle = n; return b }

// WithWriteData asks for a functional co-simulation: f fills the payload
// of each write request (the block at byte address addr, before any
// address conversion), which the memory stores. Without it the adapter
// only times the traffic: its write requests carry a dirty mask with no
// byte set, so that a memory that honours masks (akita's
// idealmemcontroller, the Fixed model) keeps what another component
// stored there. (akita v3's mem/dram controller ignores dirty masks and
// stores the zero payload whatever the mask says.)
func (b AdapterBuilder) WithWriteData(f func(addr uint64, data []byte)) AdapterBuilder {
	b.writeData = f
	return b
}

// Build creates an adapter with ports "Top" and "Bottom". It panics on a
// configuration that cannot work (programming errors; runner validates
// user input).
func (b AdapterBuilder) Build(name string) *Adapter {
	switch {
	case b.engine == nil:
		panic("dram: AdapterBuilder needs an engine (WithEngine)")
	case b.freq <= 0:
		panic("dram: AdapterBuilder needs the accelerator's clock (WithFreq): a burst's cycles are the accelerator's")
	case b.finder == nil:
		panic("dram: AdapterBuilder needs a low module finder (WithLowModuleFinder)")
	case b.wordBytes <= 0:
		panic(fmt.Sprintf("dram: word size must be positive, got %d", b.wordBytes))
	case b.reqBytes <= 0 || b.reqBytes&(b.reqBytes-1) != 0:
		panic(fmt.Sprintf("dram: request size must be a power of two, got %d", b.reqBytes))
	case b.maxInFlight <= 0 || b.issuePerCycle <= 0:
		panic(fmt.Sprintf("dram: in-flight and per-cycle limits must be positive, got %d and %d", b.maxInFlight, b.issuePerCycle))
	case b.bytesPerCycle < 0:
		panic(fmt.Sprintf("dram: interface width must be >= 0, got %d", b.bytesPerCycle))
	}
	a := &Adapter{
		finder: b.finder, conv: b.conv,
		wordBytes: uint64(b.wordBytes), reqBytes: uint64(b.reqBytes),
		maxInFlight: b.maxInFlight, issuePerCycle: b.issuePerCycle,
		bytesPerCycle: int64(b.bytesPerCycle),
		zeros:         make([]byte, b.reqBytes),
		clean:         make([]bool, b.reqBytes),
		writeData:     b.writeData,
		inflight:      map[string]inflightReq{},
		issueCycle:    -1,
	}
	a.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, a)
	a.clock = protocol.NewClock(b.engine, b.freq, a.TickingComponent)
	a.top = sim.NewLimitNumMsgPort(a, 4, name+".Top")
	a.AddPort("Top", a.top)
	a.bottom = sim.NewLimitNumMsgPort(a, b.maxInFlight, name+".Bottom")
	a.AddPort("Bottom", a.bottom)
	return a
}

// AdapterStats is what an adapter moved since its last ResetStats.
type AdapterStats struct {
	Bursts   int64 // bursts answered
	Requests int64 // memory requests completed
	Words    int64 // words the bursts' ranges hold
	Bytes    int64 // Words x word size: the payload moved
	// ReqBytes is Requests x request size: what crossed the memory bus.
	ReqBytes int64
	// First and Last are the cycles (relative to the bursts' Origin) the
	// first and the last request completed; Any is false when none did.
	First, Last int64
	Any         bool
	// LatencySum is the sum over requests of the cycles from issue to
	// response; MeanLatency and P99Latency summarise it.
	LatencySum  int64
	P99Latency  int64
	MeanLatency float64
}

// Stats returns what the adapter moved since the last ResetStats.
func (a *Adapter) Stats() AdapterStats {
	s := a.stats
	if s.Requests > 0 {
		s.MeanLatency = float64(s.LatencySum) / float64(s.Requests)
		s.P99Latency = a.hist.quantile(0.99)
	}
	return s
}

// BurstFreq is the clock the adapter counts a burst's cycles in: the
// accelerator whose buffers it serves must run the same one
// (components.Builder checks it).
func (a *Adapter) BurstFreq() sim.Freq { return a.Freq }

// ResetStats starts a new layer.
func (a *Adapter) ResetStats() {
	a.stats = AdapterStats{}
	a.hist = latencyHist{}
}

// Tick does all it can this cycle and then sleeps.
func (a *Adapter) Tick(now sim.VTimeInSec) bool {
	cycle := a.clock.Cycle(now)
	for a.receiveRsp(now, cycle) {
	}
	for a.receiveBurst(now) {
	}
	a.clock.Flush(&a.outbox, now)
	for a.issue(now, cycle) {
	}
	// Everything that can happen later is woken by a message (a response,
	// a new burst, a freed connection) or by a wake-up issue or the
	// outbox scheduled.
	return false
}

// receiveBurst takes a new burst from the buffer.
func (a *Adapter) receiveBurst(now sim.VTimeInSec) bool {
	msg := a.top.Retrieve(now)
	if msg == nil {
		return false
	}
	req, ok := msg.(*protocol.BurstReq)
	if !ok {
		panic(fmt.Sprintf("dram: adapter %s got %T, expects *protocol.BurstReq", a.Name(), msg))
	}
	a.active++
	// Tracing: the adapter's work on the burst is a "req_in" task under the
	// burst's own task, and each memory request a "req_out" task under it,
	// which akita's memory controllers continue with their "req_in".
	traced := a.NumHooks() > 0
	if traced {
		tracing.StartTask(tracing.MsgIDAtReceiver(req, a), req.ID, a, "req_in", "BurstReq", req)
	}
	b := &burst{req: req, start: req.Origin + req.At, slot: -1}
	b.blocks, b.payload, b.words = a.split(req.Ranges)
	if len(b.blocks) == 0 {
		a.answer(b, req.At+int64(req.Lines), now)
		return true
	}
	a.queue = append(a.queue, b)
	return true
}

// split turns word ranges into the request blocks they touch, ascending
// and without repeats, with the payload bytes of each.
func (a *Adapter) split(ranges []protocol.AddrRange) (blocks []uint64, payload []int64, words int64) {
	type piece struct {
		block uint64
		bytes int64
	}
	var ps []piece
	sorted := true
	for _, r := range ranges {
		if r.End <= r.Start {
			continue
		}
		if r.Start < 0 {
			panic(fmt.Sprintf("dram: adapter %s: negative word address %d", a.Name(), r.Start))
		}
		lo, hi := uint64(r.Start)*a.wordBytes, uint64(r.End)*a.wordBytes
		for blk := lo &^ (a.reqBytes - 1); blk < hi; blk += a.reqBytes {
			n := int64(min(hi, blk+a.reqBytes) - max(lo, blk))
			if k := len(ps); k > 0 && ps[k-1].block == blk {
				ps[k-1].bytes += n
				continue
			} else if k > 0 && ps[k-1].block > blk {
				sorted = false
			}
			ps = append(ps, piece{blk, n})
		}
		words += r.Len()
	}
	if !sorted {
		slices.SortFunc(ps, func(x, y piece) int {
			switch {
			case x.block < y.block:
				return -1
			case x.block > y.block:
				return 1
			}
			return 0
		})
	}
	for _, p := range ps {
		if k := len(blocks); k > 0 && blocks[k-1] == p.block {
			payload[k-1] += p.bytes
			continue
		}
		blocks = append(blocks, p.block)
		payload = append(payload, p.bytes)
	}
	return blocks, payload, words
}

// issue sends the next request of the oldest burst that has one, if the
// limits allow it now.
func (a *Adapter) issue(now sim.VTimeInSec, cycle int64) bool {
	if len(a.queue) == 0 || len(a.inflight) >= a.maxInFlight {
		return false
	}
	b := a.queue[0]
	if cycle < b.start {
		a.clock.WakeAt(now, a.clock.Time(b.start))
		return false
	}
	if cycle == a.issueCycle && a.issuedThen >= a.issuePerCycle {
		a.clock.WakeAt(now, a.clock.Time(cycle+1))
		return false
	}
	if a.bytesPerCycle > 0 && b.slot < 0 {
		// Reserve the interface for the request's payload: it goes out in
		// the cycle its last byte crosses the interface.
		// The interface starts moving a burst at its At (the cycle the
		// buffer asked for it), not one port hop later, as the ideal
		// channel does.
		start := max(a.ifaceFree, b.start*a.bytesPerCycle)
		a.ifaceFree = start + b.payload[b.next]
		b.slot = (a.ifaceFree+a.bytesPerCycle-1)/a.bytesPerCycle - 1
	}
	if b.slot > cycle {
		a.clock.WakeAt(now, a.clock.Time(b.slot))
		return false
	}
	addr := b.blocks[b.next]
	block := addr
	if a.conv != nil {
		addr = a.conv.ConvertExternalToInternal(addr)
	}
	dst := a.finder.Find(addr)
	var msg sim.Msg
	if b.req.Write {
		wb := mem.WriteReqBuilder{}.WithSendTime(now).WithSrc(a.bottom).WithDst(dst).WithAddress(addr)
		if a.writeData != nil {
			data := make([]byte, a.reqBytes)
			a.writeData(block, data)
			wb = wb.WithData(data)
		} else {
			wb = wb.WithData(a.zeros).WithDirtyMask(a.clean)
		}
		msg = wb.Build()
	} else {
		msg = mem.ReadReqBuilder{}.WithSendTime(now).WithSrc(a.bottom).WithDst(dst).
			WithAddress(addr).WithByteSize(a.reqBytes).Build()
	}
	if a.bottom.Send(msg) != nil {
		return false // NotifyPortFree wakes us
	}
	if a.NumHooks() > 0 {
		tracing.TraceReqInitiate(msg, a, tracing.MsgIDAtReceiver(b.req, a))
	}
	if cycle != a.issueCycle {
		a.issueCycle, a.issuedThen = cycle, 0
	}
	a.issuedThen++
	a.inflight[msg.Meta().ID] = inflightReq{b: b, issued: cycle}
	b.outstanding++
	b.next++
	b.slot = -1
	if b.next == len(b.blocks) {
		a.queue[0] = nil
		a.queue = a.queue[1:]
	}
	return true
}

// receiveRsp takes one memory response.
func (a *Adapter) receiveRsp(now sim.VTimeInSec, cycle int64) bool {
	msg := a.bottom.Retrieve(now)
	if msg == nil {
		return false
	}
	var id string
	switch rsp := msg.(type) {
	case *mem.DataReadyRsp:
		id = rsp.RespondTo
	case *mem.WriteDoneRsp:
		id = rsp.RespondTo
	default:
		panic(fmt.Sprintf("dram: adapter %s got %T from memory", a.Name(), msg))
	}
	r, ok := a.inflight[id]
	if !ok {
		panic(fmt.Sprintf("dram: adapter %s got a response to unknown request %s", a.Name(), id))
	}
	delete(a.inflight, id)
	if a.NumHooks() > 0 {
		tracing.EndTask(id+"_req_out", a)
	}
	b := r.b
	b.outstanding--
	done := cycle - b.req.Origin
	lat := cycle - r.issued
	s := &a.stats
	s.Requests++
	s.ReqBytes += int64(a.reqBytes)
	s.LatencySum += lat
	a.hist.add(lat)
	if !s.Any {
		s.First, s.Any = done, true
	}
	s.Last = max(s.Last, done)
	if b.outstanding == 0 && b.next == len(b.blocks) {
		s.Words += b.words
		s.Bytes += b.words * int64(a.wordBytes)
		a.answer(b, done, now)
	}
	return true
}

// answer queues the burst's response. A burst the memory served is
// answered as soon as its last response is in; one without ranges, timed
// here, leaves one cycle before Origin+Done, as the ideal channel's.
func (a *Adapter) answer(b *burst, done int64, now sim.VTimeInSec) {
	rsp := &protocol.BurstRsp{RspTo: b.req.ID, Done: done}
	rsp.TrafficBytes = protocol.HeaderBytes
	if !b.req.Write {
		rsp.TrafficBytes += int(b.words * int64(a.wordBytes))
	}
	at := now
	if len(b.blocks) == 0 {
		at = max(now, a.clock.Time(b.req.Origin+done-1))
	}
	a.outbox.QueueAt(a.top, b.req.Src, rsp, at)
	if a.NumHooks() > 0 {
		tracing.EndTask(tracing.MsgIDAtReceiver(b.req, a), a)
	}
	a.stats.Bursts++
	a.active--
}

// Busy reports whether the adapter holds a burst it has not answered yet.
func (a *Adapter) Busy() bool { return a.active > 0 || !a.outbox.Empty() }

// latencyHist counts request latencies: one bucket per cycle below
// histExact, then one per power of two, so that its size stays fixed
// however long a run is.
type latencyHist struct {
	exact [histExact]int64
	log   [64]int64
	n     int64
}

const histExact = 2048

func (h *latencyHist) add(lat int64) {
	h.n++
	if lat < histExact {
		h.exact[max(lat, 0)]++
		return
	}
	b := 0
	for v := lat; v > 1; v >>= 1 {
		b++
	}
	h.log[b]++
}

// quantile returns the smallest latency L such that at least q of the
// samples are <= L (exact below histExact; above, the upper end of the
// power-of-two bucket).
func (h *latencyHist) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	need := int64(float64(h.n)*q + 0.999999999)
	need = max(need, 1)
	var seen int64
	for i, c := range h.exact {
		seen += c
		if seen >= need {
			return int64(i)
		}
	}
	for b, c := range h.log {
		seen += c
		if seen >= need {
			return int64(1)<<(b+1) - 1
		}
	}
	return 0
}
