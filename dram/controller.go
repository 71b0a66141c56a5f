package dram

import (
	"container/heap"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// Controller is npusim's DRAM: one memory (all its channels) timed request
// for request as DRAMsim3 times it (package dramsim), as an akita
// component with one port, "Top".
//
// It takes two kinds of messages there:
//
//   - akita's mem.ReadReq and mem.WriteReq, of any size and alignment, so
//     any akita component (a GPU, a cache, a traffic generator) can use it.
//     A request becomes one memory request per burst-sized block
//     (Config.RequestBytes, 64 bytes for DDR4 and HBM2) it touches, all
//     offered at the cycle the message arrives; it is answered with
//     mem.DataReadyRsp or mem.WriteDoneRsp at the DRAM cycle its last block
//     completes.
//   - an operand buffer's whole burst, protocol.BurstReq, expanded here into
//     one memory request per block its Ranges touch (word addresses x
//     WordBytes), in increasing address order, a block two ranges share
//     requested once. A burst's requests are offered no earlier than
//     accelerator cycle Origin+At, at most RequestsPerCycle per accelerator
//     cycle per sender and, with BytesPerCycle set, no faster than the
//     sender's interface moves their payload, as the ideal channel's
//     lines. The answer, protocol.BurstRsp, says the accelerator cycle the
//     last request completed (relative to Origin) and leaves one cycle
//     earlier, as the ideal channel's, so that the buffer handles it at
//     that cycle. A burst without Ranges is answered at At+Lines.
//
// Requests are offered to the memory the way DRAMsim3's trace driver
// offers a trace (dramsim.Replay): in the order of their arrival, a request
// the memory refuses holding back every later one. Requests of one cycle
// go sender by sender in the order of the senders' port names, a
// sender's own in the order its messages came: the order in which a
// connection delivers the messages of one instant depends on its history
// (akita's DirectConnection starts each tick at the next port, round
// robin), so a layer's timing would depend on what ran before it.
// Writes are posted: they complete two DRAM cycles after they are
// accepted.
//
// Expanding a burst costs Go loops, not engine events: the controller
// wakes only at DRAM cycles at which a request arrives, a command can
// issue, a refresh falls due or an answer leaves, and sleeps otherwise. It
// keeps no data unless built WithStorage, so its memory does not grow with
// the bytes a run touches.
type Controller struct {
	*protocol.TickingComponent

	topPort     sim.Port
	ports       []sim.Port // Top and the ports NewTopPort added
	topBuf      int
	cfg         *dramsim.Config // nil for a fixed-latency memory
	model       timingModel
	dm          *dramsim.Model // model when it is DRAMsim3's: called directly in the hot loop
	newModel    func() timingModel
	minLead     int64 // the fewest cycles from a request's acceptance to its completion
	readLead    int64 // the same for a read not served from the write buffer
	room        int64 // requests the memory can hold before it refuses (all channels)
	freePerCyc  int64 // the most slots it frees per cycle
	dramFreq    sim.Freq
	accelFreq   sim.Freq
	wordBytes   uint64
	reqBytes    uint64
	perCycle    int
	bytesPerCyc int64
	storage     *mem.Storage

	seq       int64
	pending   streamHeap    // streams with requests left to offer, by next arrival
	slots     []*ctrlStream // streams by id (the model's request ids)
	freeSlots []int
	pace      map[sim.Port]*pacer
	rates     map[sim.Port][2]int // SetSenderRate: requests, bytes per cycle
	evaluated int64               // last DRAM cycle evaluated
	next      int64               // next DRAM cycle to evaluate
	rsps      rspHeap
	err       error

	// t0 is the engine time of the memory's cycle 0; unset (after Reset)
	// until the first message sets it.
	t0      sim.VTimeInSec
	t0Set   bool
	scratch []int64 // splitRangesInto's table
	payload []int64 // a burst's payload per block, while it is paced
	// spare holds finished streams, whose slices the next messages reuse:
	// a layer takes tens of thousands of bursts, and their block and
	// arrival lists were most of the controller's garbage.
	spare     []*ctrlStream
	stats     map[sim.Port]*srcStats
	dramSince dramsim.Stats // the memory's counts at the last ResetStats
	// tracers are where the DRAM trace rows of each sender's bursts go
	// (SetBurstTracer).
	tracers map[sim.Port]protocol.Tracer
}

// srcStats is what the controller served for one sender.
type srcStats struct {
	s    ControllerStats
	hist latencyHist
}

// ctrlStream is one message being served: its blocks, their arrival cycles
// and how many are done.
type ctrlStream struct {
	id          int
	seq         int64
	src         string // the sender's port name: the order of a cycle's senders
	msg         sim.Msg
	write       bool
	blocks      []uint64 // byte addresses
	arrival     []int64  // DRAM cycle each block is offered from
	next        int      // next block to offer
	outstanding int      // accepted blocks not complete
	lastDone    int64    // DRAM cycle of the latest completion
	burst       *protocol.BurstReq
	words       int64
	st          *srcStats // the sender's (looked up once: a port is an interface key)
	// done is the DRAM cycle each block completed, kept only for a burst
	// whose rows are traced (traceBurst).
	done []int64
}

// pacer is a sender's interface: the accelerator cycles its requests may
// leave.
type pacer struct {
	perCycle    int   // requests per cycle
	bytesPerCyc int64 // interface width (0: unlimited)
	cycle       int64 // cycle of the last request
	count       int   // requests in cycle
	ifaceFree   int64 // interface time in bytes (cycle x BytesPerCycle) at which it is free
}

// ControllerStats is what a controller served since its last ResetStats.
// Cycles are the accelerator's, relative to the bursts' Origin, except
// where said.
type ControllerStats struct {
	Bursts   int64 // bursts answered
	Messages int64 // mem.ReadReq / mem.WriteReq answered
	Requests int64 // memory requests (blocks) completed
	Words    int64 // words the bursts' ranges hold
	Bytes    int64 // Words x word size
	ReqBytes int64 // Requests x request size: what crossed the memory bus
	// First and Last are the completion cycles of the first and the last
	// burst request; Any is false when none completed.
	First, Last int64
	Any         bool
	// Latency of the memory requests, in DRAM cycles from the cycle a
	// request was offered to its completion.
	LatencySum  int64
	P99Latency  int64
	MeanLatency float64
	// DRAM is what the memory did (commands, row hits, refreshes...).
	DRAM dramsim.Stats
}

// ControllerBuilder builds Controllers.
type ControllerBuilder struct {
	engine      sim.Engine
	cfg         *dramsim.Config
	fixed       *fixedSpec
	accelFreq   sim.Freq
	wordBytes   int
	perCycle    int
	bytesPerCyc int
	storage     *mem.Storage
	topBuf      int
}

// MakeControllerBuilder returns a builder with the defaults: 1-byte words
// (SCALE-Sim's), one burst request per accelerator cycle per sender (the
// adapter's convention), no interface rate limit, no storage, a port
// buffer of 16 messages. A config (WithConfig) is required, and an
// accelerator clock (WithAcceleratorFreq) as soon as bursts are sent.
func MakeControllerBuilder() ControllerBuilder {
	return ControllerBuilder{wordBytes: 1, perCycle: 1, topBuf: 16}
}

// WithEngine sets the engine.
func (b ControllerBuilder) WithEngine(e sim.Engine) ControllerBuilder { b.engine = e; return b }

// WithConfig sets the memory (see dramsim.Preset and dramsim.LoadConfig);
// its tCK is the controller's clock.
func (b ControllerBuilder) WithConfig(c *dramsim.Config) ControllerBuilder { b.cfg = c; return b }

// WithFixed makes the memory a fixed-latency one instead of a DRAM
// (npusim's Model = fixed): it runs on the accelerator clock, takes up to
// width requests of reqBytes bytes per cycle while fewer than maxInFlight
// are outstanding, and completes each latency cycles after it took it.
func (b ControllerBuilder) WithFixed(latency, width, maxInFlight, reqBytes int) ControllerBuilder {
	b.fixed = &fixedSpec{latency: int64(latency), width: width, maxInFlight: maxInFlight, reqBytes: reqBytes}
	return b
}

// WithAcceleratorFreq sets the clock the cycles of protocol.BurstReq and
// BurstRsp count (the senders').
func (b ControllerBuilder) WithAcceleratorFreq(f sim.Freq) ControllerBuilder {
	b.accelFreq = f
	return b
}

// WithWordBytes sets the bytes per word of the bursts' word addresses.
func (b ControllerBuilder) WithWordBytes(n int) ControllerBuilder { b.wordBytes = n; return b }

// WithRequestsPerCycle limits the burst requests a sender offers per
// accelerator cycle.
func (b ControllerBuilder) WithRequestsPerCycle(n int) ControllerBuilder { b.perCycle = n; return b }

// WithBytesPerCycle sets a sender's interface width in bytes per
// accelerator cycle (0: unlimited), which paces a burst's requests: a
// request is offered once the interface has had time to move the payload
// of the burst's requests up to and including it.
func (b ControllerBuilder) WithBytesPerCycle(n int) ControllerBuilder { b.bytesPerCyc = n; return b }

// WithStorage makes the controller keep the data written with
// mem.WriteReq and return it on mem.ReadReq (nil: no data; reads return
// zeros).
func (b ControllerBuilder) WithStorage(s *mem.Storage) ControllerBuilder { b.storage = s; return b }

// WithTopBufSize sets the capacity of the Top port's buffer.
func (b ControllerBuilder) WithTopBufSize(n int) ControllerBuilder { b.topBuf = n; return b }

// Build creates a controller with port "Top". It panics on a builder that
// cannot work (programming errors; user input is checked when configs are
// parsed).
func (b ControllerBuilder) Build(name string) *Controller {
	switch {
	case b.engine == nil:
		panic("dram: ControllerBuilder needs an engine (WithEngine)")
	case b.cfg == nil && b.fixed == nil:
		panic("dram: ControllerBuilder needs a DRAM config (WithConfig) or WithFixed")
	case b.fixed != nil && (b.fixed.latency < 0 || b.fixed.width <= 0 || b.fixed.maxInFlight <= 0 ||
		b.fixed.reqBytes <= 0 || b.fixed.reqBytes&(b.fixed.reqBytes-1) != 0 || b.accelFreq <= 0):
		panic(fmt.Sprintf("dram: bad fixed memory %+v (or no accelerator clock)", *b.fixed))
	case b.wordBytes <= 0 || b.perCycle <= 0 || b.bytesPerCyc < 0 || b.topBuf <= 0:
		panic(fmt.Sprintf("dram: bad controller sizes: word %d, requests per cycle %d, bytes per cycle %d, port buffer %d",
			b.wordBytes, b.perCycle, b.bytesPerCyc, b.topBuf))
	}
	c := &Controller{
		cfg:         b.cfg,
		accelFreq:   b.accelFreq,
		wordBytes:   uint64(b.wordBytes),
		perCycle:    b.perCycle,
		bytesPerCyc: int64(b.bytesPerCyc),
		storage:     b.storage,
		pace:        map[sim.Port]*pacer{},
		evaluated:   -1,
		next:        math.MaxInt64,
		stats:       map[sim.Port]*srcStats{},
		t0Set:       true,
	}
	if f := b.fixed; f != nil {
		c.dramFreq, c.reqBytes = b.accelFreq, uint64(f.reqBytes)
		c.newModel = func() timingModel { return &fixedModel{fixedSpec: *f, cycle: -1} }
		c.minLead, c.readLead = f.latency+fixedHops, f.latency+fixedHops
		c.room, c.freePerCyc = int64(f.width), int64(f.width)
	} else {
		cfg := b.cfg
		c.dramFreq, c.reqBytes = sim.Freq(cfg.FreqHz()), uint64(cfg.RequestBytes)
		c.newModel = func() timingModel {
			m := dramsim.NewModel(cfg)
			m.OnRead = c.readDone
			return m
		}
		c.minLead, c.readLead = 2, int64(max(cfg.ReadDelay, 2))
		c.room, c.freePerCyc = int64(cfg.Channels*cfg.TransQueueSize), int64(cfg.Channels)
	}
	c.setModel(c.newModel())
	c.TickingComponent = protocol.NewTickingComponent(name, b.engine, c.dramFreq, c)
	c.topPort = sim.NewLimitNumMsgPort(c, b.topBuf, name+".Top")
	c.AddPort("Top", c.topPort)
	c.ports = []sim.Port{c.topPort}
	c.topBuf = b.topBuf
	return c
}

// PeakBytesPerCycle is the memory's pin bandwidth in bytes per cycle of a
// clock of frequency f: two transfers of the bus width per memory clock
// (double data rate), all channels.
func (c *Controller) PeakBytesPerCycle(f sim.Freq) float64 {
	if c.cfg == nil {
		return float64(c.room) * float64(c.reqBytes) * float64(c.dramFreq) / float64(f)
	}
	return float64(c.cfg.Channels*c.cfg.BusWidth/8) * 2 * c.cfg.FreqHz() / float64(f)
}

// Config returns the memory's configuration (nil for a fixed-latency
// memory).
func (c *Controller) Config() *dramsim.Config { return c.cfg }

// Err reports a memory that stopped making progress (a config whose
// timings leave no room to serve a request, see dramsim.NoProgressLimit).
func (c *Controller) Err() error { return c.err }

// Stats returns what the controller served since the last ResetStats, for
// all senders.
func (c *Controller) Stats() ControllerStats {
	var all srcStats
	for _, st := range c.stats {
		s := &all.s
		s.Bursts += st.s.Bursts
		s.Messages += st.s.Messages
		s.Requests += st.s.Requests
		s.Words += st.s.Words
		s.Bytes += st.s.Bytes
		s.ReqBytes += st.s.ReqBytes
		s.LatencySum += st.s.LatencySum
		if st.s.Any {
			if !s.Any || st.s.First < s.First {
				s.First = st.s.First
			}
			s.Last = max(s.Last, st.s.Last)
			s.Any = true
		}
		all.hist.merge(&st.hist)
	}
	return c.finishStats(&all)
}

// StatsOf returns what the controller served for the messages of one
// sender (its port) since the last ResetStats.
func (c *Controller) StatsOf(src sim.Port) ControllerStats {
	st := c.stats[src]
	if st == nil {
		return c.finishStats(&srcStats{})
	}
	return c.finishStats(st)
}

func (c *Controller) finishStats(st *srcStats) ControllerStats {
	s := st.s
	if s.Requests > 0 {
		s.MeanLatency = float64(s.LatencySum) / float64(s.Requests)
		s.P99Latency = st.hist.quantile(0.99)
	}
	s.DRAM = c.model.Stats().Sub(c.dramSince)
	return s
}

// ResetStats starts new statistics (a new layer).
func (c *Controller) ResetStats() {
	// In place: the streams being served point at their sender's.
	for _, st := range c.stats {
		*st = srcStats{}
	}
	c.dramSince = c.model.Stats()
}

// Reset puts an idle memory in place of the current one (a layer that
// starts afresh): every bank closed, queues empty, the refresh schedule
// started over. Its cycle 0 is the first message's: a burst's Origin, or
// the cycle a memory request arrives. The controller must not be Busy.
func (c *Controller) Reset() {
	if c.Busy() {
		panic(fmt.Sprintf("dram: controller %s reset while busy", c.Name()))
	}
	c.setModel(c.newModel())
	c.pending, c.slots, c.freeSlots = nil, nil, nil
	c.pace = map[sim.Port]*pacer{}
	c.evaluated, c.next, c.t0, c.t0Set = -1, math.MaxInt64, 0, false
	c.ResetStats()
}

func (c *Controller) srcStats(src sim.Port) *srcStats {
	st := c.stats[src]
	if st == nil {
		st = &srcStats{}
		c.stats[src] = st
	}
	return st
}

// Busy reports whether a message has not been answered yet.
func (c *Controller) Busy() bool { return len(c.slots) > len(c.freeSlots) || len(c.rsps) > 0 }

// dramCycle is the first DRAM cycle at or after engine time now. Cycle 0
// is at t0: the memory's clock starts with its layer, so that a layer's
// timing does not depend on where its Origin falls between two DRAM
// clock edges.
func (c *Controller) dramCycle(now sim.VTimeInSec) int64 {
	return int64(math.Ceil(float64(now-c.t0)*float64(c.dramFreq) - 1e-6))
}

func (c *Controller) dramTime(cycle int64) sim.VTimeInSec {
	return c.t0 + sim.VTimeInSec(float64(cycle)/float64(c.dramFreq))
}

func (c *Controller) accelTime(cycle int64) sim.VTimeInSec {
	return sim.VTimeInSec(float64(cycle) / float64(c.accelFreq))
}

// Tick takes what arrived, runs the memory up to the current DRAM cycle,
// sends the answers that are due and sleeps until the next cycle at which
// something can happen (or a message wakes it).
func (c *Controller) Tick(now sim.VTimeInSec) bool {
	for c.receive(now) {
	}
	// Evaluate the cycles before now (after receiving: the first message
	// after a Reset sets t0); a message that arrives now or later has its
	// requests arrive no earlier than now.
	c.advance(c.dramCycle(now) - 1)
	c.send(now)
	c.wake(now)
	return false
}

// NewTopPort adds a port that takes the same messages as Top (named
// name, registered as name): one per connection, for senders on
// connections of their own (say the cores of a multi-core NPU, each with
// its own off-chip connection). Answers leave by the port the request came
// in on.
func (c *Controller) NewTopPort(name string) sim.Port {
	p := sim.NewLimitNumMsgPort(c, c.topBuf, c.Name()+"."+name)
	c.AddPort(name, p)
	c.ports = append(c.ports, p)
	return p
}

// receive takes one message from the Top ports.
func (c *Controller) receive(now sim.VTimeInSec) bool {
	var msg sim.Msg
	for _, p := range c.ports {
		if msg = p.Retrieve(now); msg != nil {
			break
		}
	}
	if msg == nil {
		return false
	}
	if c.NumHooks() > 0 {
		if b, ok := msg.(*protocol.BurstReq); ok {
			// The burst's task, under the buffer's (causal traces).
			tracing.StartTask(tracing.MsgIDAtReceiver(b, c), b.ID, c, "req_in", "BurstReq", b)
		} else {
			tracing.TraceReqReceive(msg, c)
		}
	}
	s := c.newStream(msg)
	if p := msg.Meta().Src; p != nil {
		s.src = p.Name()
	}
	s.st = c.srcStats(msg.Meta().Src)
	c.seq++
	if !c.t0Set {
		// The memory's cycle 0: the cycle the layer's first burst was
		// dated (its first request), else now.
		c.t0, c.t0Set = now, true
		if b, ok := msg.(*protocol.BurstReq); ok && c.accelFreq > 0 {
			c.t0 = c.accelTime(b.Origin + b.At)
		}
	}
	// No request arrives in a cycle already evaluated. A burst's requests
	// arrive at the cycles its sender dated them (it sends a burst at the
	// cycle its first request may go, and the controller evaluates only
	// the cycles before the present), a memory request's at the present.
	first := c.evaluated + 1
	if _, ok := msg.(*protocol.BurstReq); ok {
		// Not before it was sent (a late burst), a time of the layer's
		// own clock, where the tick that took it is not.
		first = max(first, c.dramCycle(msg.Meta().SendTime))
	}
	switch m := msg.(type) {
	case *mem.ReadReq:
		s.blocks = c.blocksOf(s.blocks, m.Address, m.AccessByteSize)
	case *mem.WriteReq:
		s.write = true
		s.blocks = c.blocksOf(s.blocks, m.Address, uint64(len(m.Data)))
		if c.storage != nil {
			if err := c.storage.Write(m.Address, m.Data); err != nil {
				panic(fmt.Sprintf("dram: controller %s: %v", c.Name(), err))
			}
		}
	case *protocol.BurstReq:
		if c.accelFreq <= 0 {
			panic(fmt.Sprintf("dram: controller %s got a burst but has no accelerator clock (WithAcceleratorFreq)", c.Name()))
		}
		s.burst, s.write = m, m.Write
		if m.Blocks != nil {
			s.blocks, c.payload, s.words = c.splitBlocksInto(m.Blocks, m.BlockWords, s.blocks, c.payload)
		} else {
			s.blocks, c.payload, s.words = splitRangesInto(m.Ranges, c.wordBytes, c.reqBytes, &c.scratch, s.blocks, c.payload)
		}
		if len(s.blocks) == 0 {
			c.answerBurst(s, m.At+int64(m.Lines), now)
			c.recycle(s)
			return true
		}
		s.arrival = c.paceBurst(m, c.payload, first, s.arrival)
	default:
		panic(fmt.Sprintf("dram: controller %s got %T, expects mem.ReadReq, mem.WriteReq or protocol.BurstReq", c.Name(), msg))
	}
	if s.burst == nil {
		at := max(first, c.dramCycle(now))
		for range s.blocks {
			s.arrival = append(s.arrival, at)
		}
	}
	if b := s.burst; b != nil && b.Data != nil && c.tracers[b.Src] != nil {
		s.done = make([]int64, len(s.blocks))
	}
	if n := len(c.freeSlots); n > 0 {
		s.id = c.freeSlots[n-1]
		c.freeSlots = c.freeSlots[:n-1]
		c.slots[s.id] = s
	} else {
		s.id = len(c.slots)
		c.slots = append(c.slots, s)
	}
	heap.Push(&c.pending, s)
	c.next = min(c.next, s.arrival[0])
	return true
}

// blocksOf lists the requests of [addr, addr+size), in the array of
// blocks: one per request block it touches, the first at addr itself
// (DRAMsim3 keys transactions by the full byte address, so a 64-byte
// request in the second half of a 128-byte LPDDR4 block stays a request of
// its own), the others at block starts.
func (c *Controller) blocksOf(blocks []uint64, addr, size uint64) []uint64 {
	end := addr + max(size, 1)
	blocks = append(blocks[:0], addr)
	for b := addr&^(c.reqBytes-1) + c.reqBytes; b < end; b += c.reqBytes {
		blocks = append(blocks, b)
	}
	return blocks
}

// pacer returns a sender's interface, with the builder's rates unless
// SetSenderRate gave it its own.
func (c *Controller) pacer(src sim.Port) *pacer {
	p := c.pace[src]
	if p == nil {
		p = &pacer{cycle: -1, perCycle: c.perCycle, bytesPerCyc: c.bytesPerCyc}
		if r, ok := c.rates[src]; ok {
			p.perCycle, p.bytesPerCyc = r[0], int64(r[1])
		}
		c.pace[src] = p
	}
	return p
}

// SetSenderRate gives the bursts of one sender (its port) their own pace:
// requestsPerCycle requests and bytesPerCycle bytes (0: unlimited) per
// accelerator cycle, for senders whose interfaces differ (the
// accelerators of a SoC).
func (c *Controller) SetSenderRate(src sim.Port, requestsPerCycle, bytesPerCycle int) {
	if requestsPerCycle <= 0 || bytesPerCycle < 0 {
		panic(fmt.Sprintf("dram: controller %s: bad sender rate %d requests, %d bytes per cycle", c.Name(), requestsPerCycle, bytesPerCycle))
	}
	if c.rates == nil {
		c.rates = map[sim.Port][2]int{}
	}
	c.rates[src] = [2]int{requestsPerCycle, bytesPerCycle}
	delete(c.pace, src)
}

// paceBurst returns the DRAM cycle each block of a burst is offered from:
// the accelerator cycle its sender lets it go (no earlier than Origin+At,
// RequestsPerCycle per cycle, the interface rate), in DRAM cycles, and no
// earlier than first, in the array of arr.
func (c *Controller) paceBurst(m *protocol.BurstReq, payload []int64, first int64, arr []int64) []int64 {
	p := c.pacer(m.Src)
	perCycle, bpc := p.perCycle, p.bytesPerCyc
	start := m.Origin + m.At
	arr = arr[:0]
	for _, bytes := range payload {
		slot := start
		if bpc > 0 {
			from := max(p.ifaceFree, start*bpc)
			p.ifaceFree = from + bytes
			slot = max(slot, (p.ifaceFree+bpc-1)/bpc-1)
		}
		if slot < p.cycle {
			slot = p.cycle
		}
		if slot == p.cycle && p.count >= perCycle {
			slot++
		}
		if slot != p.cycle {
			p.cycle, p.count = slot, 0
		}
		p.count++
		// The first DRAM cycle at or after the accelerator cycle's time.
		arr = append(arr, max(first, c.dramCycle(c.accelTime(slot))))
	}
	return arr
}

// BurstFreq is the clock the controller counts a burst's cycles in: the
// accelerator's (WithAcceleratorFreq).
func (c *Controller) BurstFreq() sim.Freq { return c.accelFreq }

// BurstBlockBytes is the size of the memory's requests: the controller
// serves bursts in aligned blocks of that many bytes, and takes bursts
// that count their words per block (protocol.BlockServer).
func (c *Controller) BurstBlockBytes() int { return int(c.reqBytes) }

// splitBlocksInto is splitRanges for a burst that counts its words per
// block of blockWords words (ascending, each once), reusing the arrays of
// blocks and payload: a block of the burst is a request block, or lies in
// one with its neighbours when smaller. A burst block larger than a
// request block cannot say which requests its words fall in: the sender
// was built for another memory.
func (c *Controller) splitBlocksInto(bs []protocol.WordBlock, blockWords int64, blocks []uint64, payload []int64) ([]uint64, []int64, int64) {
	var words int64
	blocks, payload = blocks[:0], payload[:0]
	if blockWords <= 0 || uint64(blockWords)*c.wordBytes > c.reqBytes || c.reqBytes%(uint64(blockWords)*c.wordBytes) != 0 {
		panic(fmt.Sprintf("dram: controller %s serves %d-byte blocks, a burst counts its %d-byte words per block of %d words",
			c.Name(), c.reqBytes, c.wordBytes, blockWords))
	}
	for _, b := range bs {
		if b.Words <= 0 {
			continue
		}
		if b.Start < 0 {
			panic(fmt.Sprintf("dram: negative word address %d in a burst", b.Start))
		}
		addr := uint64(b.Start) * c.wordBytes &^ (c.reqBytes - 1)
		bytes := b.Words * int64(c.wordBytes)
		words += b.Words
		if n := len(blocks); n > 0 && blocks[n-1] == addr {
			payload[n-1] += bytes
			continue
		}
		blocks = append(blocks, addr)
		payload = append(payload, bytes)
	}
	return blocks, payload, words
}

// splitRanges turns word ranges into the request blocks they touch,
// ascending and without repeats, with the payload bytes of each (a word
// two ranges list counts twice in the payload and in words: the buffer
// moves it twice over its interface).
func splitRanges(ranges []protocol.AddrRange, wordBytes, reqBytes uint64) (blocks []uint64, payload []int64, words int64) {
	var scratch []int64
	return splitRangesInto(ranges, wordBytes, reqBytes, &scratch, nil, nil)
}

// splitRangesInto is splitRanges with a scratch table it may grow,
// reusing the arrays of blocks and payload. A
// buffer's burst lists its words as many short ranges, not in address
// order (often one per word); when the blocks they touch lie close
// together, a table of the blocks in that span, filled in one pass, sorts
// and merges them in linear time.
func splitRangesInto(ranges []protocol.AddrRange, wordBytes, reqBytes uint64, scratch *[]int64, blocks []uint64, payload []int64) ([]uint64, []int64, int64) {
	var words int64
	blocks, payload = blocks[:0], payload[:0]
	lo, hi := uint64(math.MaxUint64), uint64(0)   // block indices
	shift := uint(bits.TrailingZeros64(reqBytes)) // a power of two
	n := 0
	for _, r := range ranges {
		if r.End <= r.Start {
			continue
		}
		if r.Start < 0 {
			panic(fmt.Sprintf("dram: negative word address %d in a burst", r.Start))
		}
		words += r.End - r.Start
		lo = min(lo, uint64(r.Start)*wordBytes>>shift)
		hi = max(hi, (uint64(r.End)*wordBytes-1)>>shift)
		n++
	}
	if n == 0 {
		return blocks, payload, 0
	}
	span := hi - lo + 1
	if span <= 1<<22 && span <= 16*uint64(n)+1024 {
		if uint64(cap(*scratch)) < span {
			*scratch = make([]int64, span)
		}
		tab := (*scratch)[:span]
		used := 0
		for _, r := range ranges {
			if r.End <= r.Start {
				continue
			}
			a, b := uint64(r.Start)*wordBytes, uint64(r.End)*wordBytes
			if first, last := a>>shift, (b-1)>>shift; first == last {
				// The common case: a run inside one block.
				x := tab[first-lo]
				if x == 0 {
					used++
				}
				tab[first-lo] = x + int64(b-a)
				continue
			}
			for blk := a >> shift; blk<<shift < b; blk++ {
				x := tab[blk-lo]
				if x == 0 {
					used++
				}
				tab[blk-lo] = x + int64(min(b, (blk+1)<<shift)-max(a, blk<<shift))
			}
		}
		blocks, payload = slices.Grow(blocks, used), slices.Grow(payload, used)
		for i, x := range tab {
			if x != 0 {
				blocks = append(blocks, (lo+uint64(i))*reqBytes)
				payload = append(payload, x)
				tab[i] = 0
			}
		}
		return blocks, payload, words
	}
	type piece struct {
		block uint64
		bytes int64
	}
	ps := make([]piece, 0, n)
	for _, r := range ranges {
		if r.End <= r.Start {
			continue
		}
		a, b := uint64(r.Start)*wordBytes, uint64(r.End)*wordBytes
		for blk := a &^ (reqBytes - 1); blk < b; blk += reqBytes {
			ps = append(ps, piece{blk, int64(min(b, blk+reqBytes) - max(a, blk))})
		}
	}
	slices.SortFunc(ps, func(x, y piece) int {
		switch {
		case x.block < y.block:
			return -1
		case x.block > y.block:
			return 1
		}
		return 0
	})
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

// advance evaluates the memory at every DRAM cycle up to cur at which
// something can happen: the memory ticks, then requests are offered.
func (c *Controller) advance(cur int64) {
	for c.err == nil && c.next <= cur {
		t := c.next
		var n int64
		var busy bool
		if dm := c.dm; dm != nil {
			dm.Tick(t)
			c.offer(t)
			n, busy = dm.NextCycle(t), dm.Waiting() > 0
		} else {
			c.model.Tick(t)
			c.offer(t)
			n, busy = c.model.NextCycle(t), c.model.Waiting() > 0
		}
		c.evaluated = t
		if len(c.pending) > 0 {
			if a := c.pending[0].arrival[c.pending[0].next]; a > t {
				n = min(n, a)
			} else {
				busy = true // refused: waits for the memory
			}
		}
		if busy && (n == math.MaxInt64 || n-c.model.Progress() > dramsim.NoProgressLimit) {
			c.err = fmt.Errorf("dram: %s made no progress since DRAM cycle %d: the config's timings leave no room to serve its requests", c.Name(), c.model.Progress())
			n = math.MaxInt64
		}
		c.next = n
	}
}

// offer gives the memory the requests that have arrived by cycle t, in
// order, until it refuses one.
func (c *Controller) offer(t int64) {
	for len(c.pending) > 0 {
		s := c.pending[0]
		if s.arrival[s.next] > t {
			return
		}
		addr := s.blocks[s.next]
		var ok bool
		if dm := c.dm; dm != nil {
			ok = dm.WillAccept(addr, s.write)
		} else {
			ok = c.model.WillAccept(addr, s.write)
		}
		if !ok {
			return
		}
		k := s.next
		s.next++
		if h := c.pending; s.next == len(s.blocks) {
			heap.Pop(&c.pending)
		} else if len(h) > 1 && (h.Less(1, 0) || len(h) > 2 && h.Less(2, 0)) {
			// Most requests leave their stream first in line: Fix only
			// when a child now comes first.
			heap.Fix(&c.pending, 0)
		}
		s.outstanding++
		var done int64
		var known bool
		if dm := c.dm; dm != nil {
			done, known = dm.Add(addr, s.write, int64(s.id)<<32|int64(k), t)
		} else {
			done, known = c.model.Add(addr, s.write, int64(s.id)<<32|int64(k), t)
		}
		if known {
			c.complete(s, k, done)
		}
	}
}

// setModel makes m the memory's timing.
func (c *Controller) setModel(m timingModel) {
	c.model = m
	c.dm, _ = m.(*dramsim.Model)
}

// readDone is the model's callback for a read whose data is scheduled.
func (c *Controller) readDone(id, done int64) {
	s := c.slots[id>>32]
	c.complete(s, int(id&(1<<32-1)), done)
}

// complete records that block k of s completes at DRAM cycle done.
func (c *Controller) complete(s *ctrlStream, k int, done int64) {
	s.outstanding--
	s.lastDone = max(s.lastDone, done)
	lat := done - s.arrival[k]
	st := s.st
	st.s.Requests++
	st.s.ReqBytes += int64(c.reqBytes)
	st.s.LatencySum += lat
	st.hist.add(lat)
	if s.done != nil {
		s.done[k] = done
	}
	if m := s.burst; m != nil {
		// First and Last are the first and the last request completion,
		// in accelerator cycles relative to the burst's Origin.
		d := int64(math.Ceil(float64(c.dramTime(done))*float64(c.accelFreq)-1e-6)) - m.Origin
		if !st.s.Any || d < st.s.First {
			st.s.First = d
		}
		st.s.Last, st.s.Any = max(st.s.Last, d), true
	}
	if s.outstanding == 0 && s.next == len(s.blocks) {
		c.finish(s)
	}
}

// finish answers a ctrlStream whose every block completed.
func (c *Controller) finish(s *ctrlStream) {
	at := c.dramTime(s.lastDone)
	switch m := s.msg.(type) {
	case *mem.ReadReq:
		data := make([]byte, m.AccessByteSize)
		if c.storage != nil {
			if d, err := c.storage.Read(m.Address, m.AccessByteSize); err == nil {
				data = d
			}
		}
		rsp := mem.DataReadyRspBuilder{}.WithSrc(m.Dst).WithDst(m.Src).WithRspTo(m.ID).WithData(data).Build()
		c.queueRsp(rsp, s.msg, at)
		s.st.s.Messages++
	case *mem.WriteReq:
		rsp := mem.WriteDoneRspBuilder{}.WithSrc(m.Dst).WithDst(m.Src).WithRspTo(m.ID).Build()
		c.queueRsp(rsp, s.msg, at)
		s.st.s.Messages++
	case *protocol.BurstReq:
		// The accelerator cycle at or after the DRAM completion.
		done := int64(math.Ceil(float64(at)*float64(c.accelFreq)-1e-6)) - m.Origin
		st := &s.st.s
		st.Words += s.words
		st.Bytes += s.words * int64(c.wordBytes)
		c.answerBurst(s, done, 0)
	}
	c.slots[s.id] = nil
	c.freeSlots = append(c.freeSlots, s.id)
	c.recycle(s)
}

// newStream returns a stream for msg, with the emptied slices of a
// finished one when there is one.
func (c *Controller) newStream(msg sim.Msg) *ctrlStream {
	n := len(c.spare)
	if n == 0 {
		return &ctrlStream{msg: msg, seq: c.seq, lastDone: -1}
	}
	s := c.spare[n-1]
	c.spare[n-1] = nil
	c.spare = c.spare[:n-1]
	*s = ctrlStream{msg: msg, seq: c.seq, lastDone: -1, blocks: s.blocks[:0], arrival: s.arrival[:0]}
	return s
}

// recycle keeps a stream that is answered and referenced no more (not in
// slots nor pending) for newStream; it drops the message.
func (c *Controller) recycle(s *ctrlStream) {
	*s = ctrlStream{blocks: s.blocks, arrival: s.arrival}
	c.spare = append(c.spare, s)
}

// answerBurst queues a burst's answer to leave one accelerator cycle
// before Origin+done (at now if that has passed).
func (c *Controller) answerBurst(s *ctrlStream, done int64, now sim.VTimeInSec) {
	m := s.burst
	if m == nil {
		m = s.msg.(*protocol.BurstReq)
	}
	rsp := &protocol.BurstRsp{RspTo: m.ID, Done: done}
	rsp.ID = sim.GetIDGenerator().Generate()
	rsp.Src, rsp.Dst = m.Dst, m.Src
	rsp.TrafficBytes = protocol.HeaderBytes
	if !m.Write {
		rsp.TrafficBytes += int(s.words * int64(c.wordBytes))
	}
	if t := c.tracers[m.Src]; t != nil && m.Data != nil {
		c.traceBurst(t, s, m)
	}
	c.queueRsp(rsp, m, max(now, c.accelTime(m.Origin+done-1)))
	s.st.s.Bursts++
}

type heldRsp struct {
	at  sim.VTimeInSec
	seq int64
	rsp sim.Msg
	req sim.Msg
}

func (c *Controller) queueRsp(rsp, req sim.Msg, at sim.VTimeInSec) {
	heap.Push(&c.rsps, heldRsp{at: at, seq: c.seq, rsp: rsp, req: req})
	c.seq++
}

// send sends the answers that are due, earliest first; a refused one
// waits for the connection to free (NotifyPortFree wakes the controller).
func (c *Controller) send(now sim.VTimeInSec) {
	for len(c.rsps) > 0 && c.rsps[0].at <= now {
		h := c.rsps[0]
		h.rsp.Meta().SendTime = now
		if h.rsp.Meta().Src.Send(h.rsp) != nil {
			return
		}
		if c.NumHooks() > 0 {
			if _, ok := h.req.(*protocol.BurstReq); ok {
				tracing.EndTask(tracing.MsgIDAtReceiver(h.req, c), c)
			} else {
				tracing.TraceReqComplete(h.req, c)
			}
		}
		heap.Pop(&c.rsps)
	}
}

// wake schedules the next tick. Evaluating the memory is only needed to
// answer on time, so the controller sleeps until the first cycle an
// answer can be due, and then evaluates every cycle up to it in one loop
// (a message arriving earlier wakes it, and it evaluates up to then before
// adding the message's requests, which arrive no earlier). An answer not
// yet known cannot be due before the first unevaluated cycle at which
// something can happen (next) plus two, the posted-write and forwarded-read
// latency, nor before the last request of its message arrived plus two;
// one whose reads (accepted or not) all wait for their READ, not before the
// last of those READs can issue (readsFrom) plus the read delay. Bounding
// by next alone woke a DDR4 controller every read delay while the memory
// was busy, about 20,000 ticks an AlexNet Conv1 layer, nearly all of which
// found no answer due.
func (c *Controller) wake(now sim.VTimeInSec) {
	t := sim.VTimeInSec(math.Inf(1))
	if c.next != math.MaxInt64 {
		rd := c.readLead
		early := sim.VTimeInSec(0) // a burst's answer leaves up to an accelerator cycle early (see answerBurst)
		if c.accelFreq > 0 {
			early = c.accelTime(1)
		}
		if live := len(c.slots) - len(c.freeSlots); live > len(c.pending) {
			// Messages whose requests are all accepted, with reads waiting:
			// the one with the fewest reads is done first at the earliest.
			k := int64(1)
			if live <= maxBoundStreams {
				k = math.MaxInt64
				for _, s := range c.slots {
					if s != nil && s.next == len(s.blocks) {
						k = min(k, int64(s.outstanding))
					}
				}
				k = min(k, 1<<40)
			}
			t = c.dramTime(c.readsFrom(k)+rd) - early
		}
		if len(c.pending) > maxBoundStreams {
			// Too many to bound one by one: the earliest any can be due.
			t = min(t, c.dramTime(c.next+c.minLead)-early)
		} else {
			for _, s := range c.pending {
				// A read served from the write buffer completes two cycles
				// after it is accepted, any other at least a read delay.
				lead, from := rd, c.next
				if s.write || c.mayForward(s) {
					lead = c.minLead
				} else {
					from = c.readsFrom(int64(s.outstanding + len(s.blocks) - s.next))
				}
				at := c.dramTime(max(from, s.arrival[len(s.arrival)-1], c.lastAccept(s, !s.write && lead < rd)) + lead)
				if s.burst != nil {
					at -= early
				}
				t = min(t, at)
			}
		}
		if t <= now {
			t = c.dramTime(c.dramCycle(now) + 1)
		}
	}
	// A due answer the connection refused waits for NotifyPortFree.
	if len(c.rsps) > 0 && c.rsps[0].at > now {
		t = min(t, c.rsps[0].at)
	}
	if math.IsInf(float64(t), 1) || t <= now {
		return
	}
	// One tick per instant, whatever else wakes the controller (the
	// parallel engine would run two at once).
	c.WakeAt(now, t)
}

// lastAccept is a lower bound on the cycle the last request of stream s
// can be accepted, from the queue slots its requests need: the memory
// frees at most one slot per channel per cycle (one transaction moves to a
// command queue), so beyond the slots a channel can have free now the
// requests need a cycle per channel-slot. A request that would join one of
// the same address takes no slot; when another stream not fully offered may
// hold such an address, or reads may be served from the write buffer
// (forward), there is no bound. A DRAM says how many slots are free now:
// while it is busy, few, and a message's last request is a cycle per
// channel-slot away.
func (c *Controller) lastAccept(s *ctrlStream, forward bool) int64 {
	room, from := c.room, c.next
	if c.dm != nil {
		// The slots free at next, then at most one more per channel at
		// each cycle from next on (the tick comes before the offers).
		room, from = int64(c.dm.Room(s.write)), c.next-1
	}
	k := int64(len(s.blocks) - s.next)
	if forward || k <= room {
		return 0
	}
	lo, hi := s.blocks[s.next], s.blocks[len(s.blocks)-1]
	for _, o := range c.pending {
		if o != s && o.write == s.write && lo <= o.blocks[len(o.blocks)-1] && hi >= o.blocks[o.next] {
			return 0
		}
	}
	// At most as many of its requests as there are addresses waiting can
	// join one; a write none, when no buffered write lies in its range.
	need := k - int64(c.model.PendingCount(s.write))
	if s.write && !c.model.MayForward(lo, hi) {
		need = k
	}
	if need <= room {
		return 0
	}
	ch := c.freePerCyc
	return from + (need-room+ch-1)/ch
}

// readsFrom is a lower bound on the cycle the last of k reads of one
// message (k distinct addresses: k READ commands, none issued yet) can
// issue: a channel issues at most one READ or WRITE a cycle, from next on,
// and one of the channels gets at least k/Channels of them. (A fixed
// memory: next.)
func (c *Controller) readsFrom(k int64) int64 {
	if c.cfg == nil || k <= 1 {
		return c.next
	}
	ch := int64(c.cfg.Channels)
	return c.next + (k+ch-1)/ch - 1
}

// maxBoundStreams is the most messages with requests left to offer whose
// answers wake bounds one by one (it costs a loop over them per wake-up).
const maxBoundStreams = 64

// mayForward reports whether a block of read stream s not offered yet
// could be served from the write buffer before the controller next
// evaluates the memory: a write buffered now, or one of a stream not fully
// offered, may have its address. Block addresses of a stream ascend.
func (c *Controller) mayForward(s *ctrlStream) bool {
	lo, hi := s.blocks[s.next], s.blocks[len(s.blocks)-1]
	if c.model.MayForward(lo, hi) {
		return true
	}
	for _, w := range c.pending {
		if w.write && lo <= w.blocks[len(w.blocks)-1] && hi >= w.blocks[w.next] {
			return true
		}
	}
	return false
}

// merge adds the samples of o.
func (h *latencyHist) merge(o *latencyHist) {
	for i, n := range o.exact {
		h.exact[i] += n
	}
	for i, n := range o.log {
		h.log[i] += n
	}
	h.n += o.n
}

// streamHeap orders streams by the arrival of their next block, then by
// sender (port name), then by the order their messages came: not by the
// order messages of one instant came from different senders, which
// depends on the connection's history (see Controller).
type streamHeap []*ctrlStream

func (h streamHeap) Len() int { return len(h) }
func (h streamHeap) Less(i, j int) bool {
	a, b := h[i].arrival[h[i].next], h[j].arrival[h[j].next]
	if a != b {
		return a < b
	}
	if h[i].src != h[j].src {
		return h[i].src < h[j].src
	}
	return h[i].seq < h[j].seq
}
func (h streamHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *streamHeap) Push(x any)   { *h = append(*h, x.(*ctrlStream)) }
func (h *streamHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}

type rspHeap []heldRsp

func (h rspHeap) Len() int { return len(h) }
func (h rspHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h rspHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *rspHeap) Push(x any)   { *h = append(*h, x.(heldRsp)) }
func (h *rspHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldRsp{}
	*h = old[:len(old)-1]
	return x
}

// SetBurstTracer sets where the rows of one sender's bursts go (nil:
// nowhere): SCALE-Sim's DRAM trace of the operand whose buffer owns port
// src. Only bursts that carry their lines' addresses (BurstReq.Data, which
// a buffer fills while its own SRAM trace is on) are traced; traceBurst
// says at which cycles. Tracers outlive Reset: a caller traces layer by
// layer by setting them before the layer and clearing them after.
func (c *Controller) SetBurstTracer(src sim.Port, t protocol.Tracer) {
	if t == nil {
		delete(c.tracers, src)
		return
	}
	if c.tracers == nil {
		c.tracers = map[sim.Port]protocol.Tracer{}
	}
	c.tracers[src] = t
}

// traceBurst writes one row per line of a burst's Data, in line order as
// the ideal channel writes them: the accelerator cycle (relative to
// Origin) by which the memory had served the line, then its addresses.
// A line is served once the last memory block holding one of its words
// has completed, and not before the line ahead of it: a buffer takes its
// lines in order, as it takes the ideal channel's one per cycle, so a
// burst's rows never go back in time, and its last row is at the burst's
// Done when its lines hold all its blocks. Padding (-1), and an address no
// block of the burst holds, waits for nothing: a line of only those is
// served with the line ahead of it, the first line no earlier than the
// burst's first block. A burst that moved no block, answered at
// At+Lines, has line j at At+1+j, as the ideal channel's reads.
func (c *Controller) traceBurst(t protocol.Tracer, s *ctrlStream, m *protocol.BurstReq) {
	if len(s.blocks) == 0 {
		for j, line := range m.Data {
			t.Row(m.At+1+int64(j), line)
		}
		return
	}
	if s.done == nil {
		return // the tracer came after the burst: its completions were not kept
	}
	served := slices.Min(s.done)
	lastBlk, lastDone := uint64(math.MaxUint64), int64(0)
	for _, line := range m.Data {
		for _, a := range line {
			if a < 0 {
				continue
			}
			lo, hi := uint64(a)*c.wordBytes, (uint64(a)+1)*c.wordBytes
			for blk := lo &^ (c.reqBytes - 1); blk < hi; blk += c.reqBytes {
				if blk != lastBlk {
					// Lines hold runs of neighbouring words: most words
					// share the block of the word before.
					k, ok := slices.BinarySearch(s.blocks, blk)
					if !ok {
						continue
					}
					lastBlk, lastDone = blk, s.done[k]
				}
				served = max(served, lastDone)
			}
		}
		// The accelerator cycle at or after the DRAM cycle, as Done.
		t.Row(int64(math.Ceil(float64(c.dramTime(served))*float64(c.accelFreq)-1e-6))-m.Origin, line)
	}
}
