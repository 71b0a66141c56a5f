package sram

import (
	"fmt"
	"math/bits"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// Builder builds the buffers. A buffer of k kB holds k*1024 words (SCALE-Sim's
// word is one byte); half of it is active, half prefetch (or drain).
type Builder struct {
	engine     sim.Engine
	freq       sim.Freq
	words      int64
	bw         int // words per DRAM line; 0 selects CALC (estimate) mode for reads
	op         protocol.Operand
	addrs      bool
	blockShift int  // bursts carry Blocks of 1<<blockShift words (-1: Ranges)
	inline     bool // read buffers never walk on a goroutine of their own
	causal     bool // the write buffer never dates a drain before now
}

// MakeBuilder returns a builder for a 64 kB buffer in CALC mode.
func MakeBuilder() Builder {
	return Builder{freq: 1 * sim.GHz, words: 64 * 1024, blockShift: -1}
}

// WithEngine sets the engine.
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// WithSizeKB sets the capacity in kB (1024 one-byte words per kB).
func (b Builder) WithSizeKB(kb int) Builder { b.words = int64(kb) * 1024; return b }

// WithSizeWords sets the capacity in words, for words wider than a byte
// (components.Builder.WithWordBytes).
func (b Builder) WithSizeWords(words int64) Builder { b.words = words; return b }

// WithBandwidth sets the DRAM interface width in words per cycle, SCALE-Sim's
// USER mode. Zero selects CALC mode: read buffers estimate the bandwidth
// they need and never stall. A write buffer needs a positive width in both
// modes (SCALE-Sim uses the array width in CALC mode).
func (b Builder) WithBandwidth(wordsPerCycle int) Builder { b.bw = wordsPerCycle; return b }

// WithAddressRanges makes the buffer's bursts carry the word addresses
// they really move (BurstReq.Ranges), for a memory behind it that needs
// them; the ideal channel does not.
func (b Builder) WithAddressRanges(on bool) Builder { b.addrs = on; return b }

// WithAddressBlocks makes the buffer's bursts count the words they move
// per aligned block of blockWords words (BurstReq.Blocks) instead of
// listing them as ranges, for a memory that serves whole blocks
// (protocol.BlockServer); blockWords must be a power of two. Zero returns
// to ranges. It implies WithAddressRanges(true).
func (b Builder) WithAddressBlocks(blockWords int64) Builder {
	if blockWords <= 0 {
		b.blockShift = -1
		return b
	}
	if blockWords&(blockWords-1) != 0 {
		panic(fmt.Sprintf("sram: a block of %d words is not a power of two", blockWords))
	}
	b.addrs = true
	b.blockShift = bits.TrailingZeros64(uint64(blockWords))
	return b
}

// blockQueue returns the buffer's block counter, or nil for ranges.
func (b Builder) blockQueue() *blockQueue {
	if b.blockShift < 0 {
		return nil
	}
	return &blockQueue{shift: uint(b.blockShift)}
}

// WithInlineWalks makes read buffers walk the demand on the engine's
// goroutine only. By default a long walk runs on a goroutine of its own,
// so that the ifmap and filter buffers walk in parallel; a caller that
// already runs several simulations at once (a sweep on every core) gains
// nothing from that and turns it off.
func (b Builder) WithInlineWalks(on bool) Builder { b.inline = on; return b }

// WithCausalDrains makes the write buffer date a drain that SCALE-Sim
// would date in the past (before the buffer could know of it) at the cycle
// it learns of it instead, so that every drain but the final one leaves at
// its own cycle. For a real memory behind the buffer, whose answers arrive
// after the completion they report; the ideal channel keeps SCALE-Sim's
// dating and its numbers.
func (b Builder) WithCausalDrains(on bool) Builder { b.causal = on; return b }

// WithOperand says which operand a read buffer holds (ifmap or filter).
func (b Builder) WithOperand(op protocol.Operand) Builder { b.op = op; return b }

// BuildReadBuffer builds an operand read buffer with ports "Top" and
// "Bottom".
func (b Builder) BuildReadBuffer(name string) *ReadBuffer {
	// walkDone holds one signal so that a walk of a run stopped mid-fold
	// (runner.Options.Context) does not block its goroutine forever.
	rb := &ReadBuffer{op: b.op, walkDone: make(chan struct{}, 1), lastWalkRows: minParallelWalkRows, inline: b.inline}
	if b.bw > 0 {
		w := newWindow(b.words, b.bw)
		w.addrs = b.addrs
		w.blk = b.blockQueue()
		rb.policy = w
	} else {
		rb.policy = newEstimate(b.words)
	}
	rb.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, rb)
	rb.init(rb.TickingComponent, b.engine, b.freq, name)
	return rb
}

// BuildWriteBuffer builds the ofmap write buffer with ports "Top" and
// "Bottom".
func (b Builder) BuildWriteBuffer(name string) *WriteBuffer {
	if b.bw <= 0 {
		panic("sram: a write buffer needs a positive bandwidth")
	}
	active := (b.words + 1) / 2
	wb := &WriteBuffer{total: b.words, drain: b.words - active, bw: int64(b.bw), addrs: b.addrs, causal: b.causal}
	if b.blockShift >= 0 {
		wb.heldBlk = &wordQueue{shift: uint(b.blockShift), a: make([]int64, 0, min(b.words, 1<<16))}
	}
	wb.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, wb)
	wb.init(wb.TickingComponent, b.engine, b.freq, name)
	return wb
}
