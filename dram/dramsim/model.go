package dramsim

import (
	"fmt"
	"math"
	mbits "math/bits"
	"slices"
)

// never is a cycle that never comes.
const never = math.MaxInt64

// noFloor is a floor delay that rules nothing out (see Model.floorD).
const noFloor = -(1 << 60)

type cmdKind uint8

const (
	cmdRead cmdKind = iota
	cmdReadP
	cmdWrite
	cmdWriteP
	cmdAct
	cmdPre
	cmdRef
	numCmd
)

func (k cmdKind) isRW() bool    { return k <= cmdWriteP }
func (k cmdKind) isRead() bool  { return k == cmdRead || k == cmdReadP }
func (k cmdKind) isWrite() bool { return k == cmdWrite || k == cmdWriteP }

// Timing scopes of R7.3, relative to the bank a command is issued to.
const (
	scSame = iota
	scSameBG
	scOtherBG
	scOtherRank
	numScope
)

// upd raises earliest[kind] to issue + d.
type upd struct {
	kind cmdKind
	d    int64
}

type bank struct {
	open     bool
	conflict bool // opened after a precharge for a row miss (statistics)
	row      int64
	hits     int // READ/WRITEs since the ACTIVATE (R7.1)
	// earliest holds the limits set by commands to this bank and to the
	// other banks of its group; those set by commands to other groups and
	// ranks are kept once per group and rank (channel.grpE, rankE), see at.
	earliest  [numCmd]int64
	grpE      *[numCmd]int64 // its group's and rank's tables in the channel
	rankE     *[numCmd]int64
	rank, grp int32
	gidx      int32 // bank group index in the channel: rank*bankgroups + grp
}

// trans is a transaction: one request in a transaction queue, then (as its
// READ or WRITE command) in a command queue.
type trans struct {
	addr     uint64
	write    bool
	kind     cmdKind // the READ/WRITE(_PRECHARGE) it becomes
	rank, bg int32
	bidx     int32 // bank index in the channel: rank*banks + bg*banksPerGroup + bank
	q        int32 // command queue
	row, col int64
	ids      []int64 // read: the requests served by its READ (merged reads)
}

type command struct {
	kind cmdKind
	tr   *trans // nil for refresh commands
	bidx int32  // bank (PRECHARGE, ACT, READ, WRITE)
	rank int32  // REFRESH
	q    int32  // queue the entry was found in (-1: refresh)
	pos  int32
}

// Stats counts what a memory did.
type Stats struct {
	Reads, Writes         int64 // requests accepted
	ReadCmds, WriteCmds   int64 // READ / WRITE commands issued
	Activates, Precharges int64 // PRECHARGEs include the refresh ones
	Refreshes             int64
	RefreshCycles         int64 // Refreshes x tRFC
	// Each READ/WRITE command is a row hit (the row was open from an earlier
	// access), a miss (its ACTIVATE opened a closed bank) or a conflict (its
	// ACTIVATE followed a PRECHARGE of another row for it).
	RowHits, RowMisses, RowConflicts int64
	// ReadToWrite and WriteToRead count data-bus turnarounds: a WRITE
	// command after a READ, and the reverse.
	ReadToWrite, WriteToRead int64
	Forwarded                int64 // reads served from the write buffer
	MergedReads              int64 // reads that joined a waiting read of the same address
	MergedWrites             int64 // writes that replaced a buffered write of the same address
	LivelockBreaks           int64 // see the package comment
	// ActiveCycles counts rank-cycles with a bank open (DRAMsim3's active
	// standby), counted when the rank's last open bank closes.
	ActiveCycles int64
}

// Sub returns the counts of s minus those of o (what happened since o was
// taken).
func (s Stats) Sub(o Stats) Stats {
	o.Reads, o.Writes = s.Reads-o.Reads, s.Writes-o.Writes
	o.ReadCmds, o.WriteCmds = s.ReadCmds-o.ReadCmds, s.WriteCmds-o.WriteCmds
	o.Activates, o.Precharges = s.Activates-o.Activates, s.Precharges-o.Precharges
	o.Refreshes, o.RefreshCycles = s.Refreshes-o.Refreshes, s.RefreshCycles-o.RefreshCycles
	o.RowHits, o.RowMisses, o.RowConflicts = s.RowHits-o.RowHits, s.RowMisses-o.RowMisses, s.RowConflicts-o.RowConflicts
	o.ReadToWrite, o.WriteToRead = s.ReadToWrite-o.ReadToWrite, s.WriteToRead-o.WriteToRead
	o.Forwarded, o.MergedReads, o.MergedWrites = s.Forwarded-o.Forwarded, s.MergedReads-o.MergedReads, s.MergedWrites-o.MergedWrites
	o.LivelockBreaks = s.LivelockBreaks - o.LivelockBreaks
	o.ActiveCycles = s.ActiveCycles - o.ActiveCycles
	return o
}

func (s *Stats) add(o Stats) {
	s.Reads += o.Reads
	s.Writes += o.Writes
	s.ReadCmds += o.ReadCmds
	s.WriteCmds += o.WriteCmds
	s.Activates += o.Activates
	s.Precharges += o.Precharges
	s.Refreshes += o.Refreshes
	s.RefreshCycles += o.RefreshCycles
	s.RowHits += o.RowHits
	s.RowMisses += o.RowMisses
	s.RowConflicts += o.RowConflicts
	s.ReadToWrite += o.ReadToWrite
	s.WriteToRead += o.WriteToRead
	s.Forwarded += o.Forwarded
	s.MergedReads += o.MergedReads
	s.MergedWrites += o.MergedWrites
	s.LivelockBreaks += o.LivelockBreaks
	s.ActiveCycles += o.ActiveCycles
}

// Model is a DRAM memory as DRAMsim3 times it. Drive it like DRAMsim3's
// trace driver (R1.2): for each cycle t at which something can happen,
// Tick(t), then offer requests with WillAccept and Add, then go to
// NextCycle(t). Cycles in between need no call: nothing happens in them.
type Model struct {
	cfg      *Config
	channels []*channel
	interval int64
	upds     [numCmd][numScope][]upd
	// grpWide[k] (rankWide[k]): command k's limits for the other banks of
	// its group (of the other groups of its rank) may be kept once for the
	// whole group (rank), because the banks that adds, the issuing bank
	// (and its group), get at least as late limits of their own from the
	// same command (see dominated).
	grpWide, rankWide [numCmd]bool
	// floorD[k][j] is the least delay command k puts before command j
	// (READ or WRITE) on any bank of its channel (noFloor if some bank gets
	// none): the channel-wide floors of getCommand. actFloorD is the least
	// delay an ACTIVATE puts before another on any bank of its rank.
	floorD    [numCmd][2]int64
	actFloorD int64
	// OnRead is called when the READ of an accepted read issues, with the
	// request id given to Add and the cycle its data is back (issue +
	// read_delay), which is later than the current cycle.
	OnRead func(id int64, done int64)
	// StopOnLivelock makes the model stop with Err set where DRAMsim3
	// livelocks, instead of breaking the livelock (package comment).
	StopOnLivelock bool
	err            error
	waiting        int    // reads accepted whose READ has not issued
	progress       int64  // last cycle a request was accepted or a READ/WRITE issued
	pendingWrites  int    // writes buffered (all channels) whose WRITE has not issued
	wlo, whi       uint64 // bounds on their addresses (reset when none is left)
	free           []*trans
	chanMask       uint64 // an address's channel bits, shifted down by chanShift
	chanShift      uint
	cmdQSize       int
	tqs            int
	noSkip         bool // tests: evaluate every cycle fully, no cached bounds
	// due[i] is the first cycle channel i must tick at: the one after its
	// last tick (or a request it took) unless it is stable, else its
	// nextAt; soonest is the least. They are kept in one small array
	// because a memory of many channels ticks at many cycles at which most
	// of its channels have nothing to do.
	due     []int64
	soonest int64
}

// NewModel returns an idle memory for cfg, at cycle 0.
func NewModel(cfg *Config) *Model {
	m := &Model{cfg: cfg, interval: int64(cfg.RefreshInterval()), cmdQSize: cfg.CmdQueueSize, tqs: cfg.TransQueueSize}
	f := cfg.fields[fCh]
	m.chanShift, m.chanMask = cfg.shift+f.pos, 1<<f.width-1
	m.buildTiming()
	for i := range cfg.Channels {
		m.channels = append(m.channels, newChannel(m, i))
		m.due = append(m.due, 0)
	}
	return m
}

// Config returns the model's configuration.
func (m *Model) Config() *Config { return m.cfg }

// Err is the livelock error when StopOnLivelock is set and one occurred.
func (m *Model) Err() error { return m.err }

// Pending reports whether a read (write) of addr waits in the memory for
// its READ (WRITE): a new one of the same kind would join it and take no
// queue slot.
func (m *Model) Pending(addr uint64, write bool) bool {
	c := m.channelOf(addr)
	if write {
		return c.pendingWr.get(addr) != nil
	}
	return c.pendingRd.get(addr) != nil
}

// PendingCount is the number of distinct addresses with a read (write)
// waiting for its READ (WRITE): at most that many new requests of the
// kind can join one instead of taking a queue slot.
func (m *Model) PendingCount(write bool) int {
	n := 0
	for _, c := range m.channels {
		if write {
			n += c.pendingWr.len()
		} else {
			n += c.pendingRd.len()
		}
	}
	return n
}

// MayForward reports whether a read of an address in [lo, hi] could now be
// served from the write buffer: whether a buffered write's address may lie
// in the range (the bounds are conservative).
func (m *Model) MayForward(lo, hi uint64) bool {
	return m.pendingWrites > 0 && lo <= m.whi && hi >= m.wlo
}

// Progress is the last cycle at which a request was accepted or a READ or
// WRITE command issued. A config whose timings leave no room to serve a
// request (say a refresh interval barely longer than tRFC, closing every
// row before its READ may issue) makes no progress while requests wait,
// forever, as DRAMsim3 would; callers use this to stop with an error.
func (m *Model) Progress() int64 { return m.progress }

// NoProgressLimit is the number of cycles without progress (see Progress)
// while requests wait after which Replay and the Controller report the
// memory stuck. No config with sane timings waits anywhere near as long.
const NoProgressLimit = 1 << 22

// Waiting is the number of accepted reads whose data is not scheduled yet.
func (m *Model) Waiting() int { return m.waiting }

// Stats returns the counts summed over the channels.
func (m *Model) Stats() Stats {
	var s Stats
	for _, c := range m.channels {
		s.add(c.stats)
	}
	return s
}

// ChannelStats returns the counts of one channel.
func (m *Model) ChannelStats(ch int) Stats { return m.channels[ch].stats }

// Idle reports whether the memory holds no request: every queue is empty
// (refreshes may still be due).
func (m *Model) Idle() bool {
	for _, c := range m.channels {
		if len(c.readQ.trs) > 0 || len(c.writeBuf.trs) > 0 || c.queued > 0 {
			return false
		}
	}
	return true
}

// buildTiming fills the R7.3 tables from the derived delays.
func (m *Model) buildTiming() {
	c := m.cfg
	t := c.Timing
	burst := c.BurstCycle
	rrL, rrS, rrO := max(burst, t.TCCDL), max(burst, t.TCCDS), burst+t.TRTRS
	r2w := c.RL + burst - c.WL + t.TRTRS
	r2wO := c.ReadDelay + burst + t.TRTRS - c.WriteDelay
	r2p := t.AL + t.TRTP
	w2rL, w2rS := c.WriteDelay+t.TWTRL, c.WriteDelay+t.TWTRS
	w2rO := c.WriteDelay + burst + t.TRTRS - c.ReadDelay
	wwL, wwS, wwO := max(burst, t.TCCDL), max(burst, t.TCCDS), burst
	w2p := c.WL + burst + t.TWR
	act2rd, act2wr := t.TRCD-t.AL, t.TRCD-t.AL
	if c.Protocol.isHBM() || c.Protocol.isGDDR() {
		act2rd, act2wr = t.TRCDRD, t.TRCDWR
	}
	rrdL, rrdS := t.TRRDL, t.TRRDS
	if c.BankGroups == 1 {
		rrL, w2rL, wwL, rrdL = rrS, w2rS, wwS, rrdS
	}
	u := func(k cmdKind, d int) upd { return upd{k, int64(d)} }
	rd := func(d int) []upd { return []upd{u(cmdRead, d), u(cmdReadP, d)} }
	wr := func(d int) []upd { return []upd{u(cmdWrite, d), u(cmdWriteP, d)} }
	cat := func(ls ...[]upd) []upd {
		var out []upd
		for _, l := range ls {
			out = append(out, l...)
		}
		return out
	}
	for _, k := range []cmdKind{cmdRead, cmdReadP} {
		m.upds[k][scSame] = cat(rd(rrL), wr(r2w), []upd{u(cmdPre, r2p)})
		m.upds[k][scSameBG] = cat(rd(rrL), wr(r2w))
		m.upds[k][scOtherBG] = cat(rd(rrS), wr(r2w))
		m.upds[k][scOtherRank] = cat(rd(rrO), wr(r2wO))
	}
	m.upds[cmdReadP][scSame] = []upd{u(cmdAct, t.AL+burst+t.TRTP+t.TRP), u(cmdRef, r2p+t.TRP)}
	for _, k := range []cmdKind{cmdWrite, cmdWriteP} {
		m.upds[k][scSame] = cat(rd(w2rL), wr(wwL), []upd{u(cmdPre, w2p)})
		m.upds[k][scSameBG] = cat(rd(w2rL), wr(wwL))
		m.upds[k][scOtherBG] = cat(rd(w2rS), wr(wwS))
		m.upds[k][scOtherRank] = cat(rd(w2rO), wr(wwO))
	}
	m.upds[cmdWriteP][scSame] = []upd{u(cmdAct, w2p+t.TRP), u(cmdRef, w2p+t.TRP)}
	m.upds[cmdAct][scSame] = cat([]upd{u(cmdAct, c.tRC)}, rd(act2rd), wr(act2wr), []upd{u(cmdPre, t.TRAS)})
	m.upds[cmdAct][scSameBG] = []upd{u(cmdAct, rrdL)}
	m.upds[cmdAct][scOtherBG] = []upd{u(cmdAct, rrdS)}
	m.upds[cmdPre][scSame] = []upd{u(cmdAct, t.TRP), u(cmdRef, t.TRP)}
	if c.Protocol == LPDDR4 || c.Protocol.isGDDR() {
		m.upds[cmdPre][scSameBG] = []upd{u(cmdPre, t.TPPD)}
		m.upds[cmdPre][scOtherBG] = []upd{u(cmdPre, t.TPPD)}
	}
	scopes := []int{scSame}
	if c.BanksPerGroup > 1 {
		scopes = append(scopes, scSameBG)
	}
	if c.BankGroups > 1 {
		scopes = append(scopes, scOtherBG)
	}
	if c.Ranks > 1 {
		scopes = append(scopes, scOtherRank)
	}
	for k := range m.upds {
		for j, target := range [2]cmdKind{cmdRead, cmdWrite} {
			if c.ClosePage {
				target++ // READ_P, WRITE_P
			}
			d := int64(never)
			for _, s := range scopes {
				i := slices.IndexFunc(m.upds[k][s], func(u upd) bool { return u.kind == target })
				if i < 0 {
					d = noFloor
					break
				}
				d = min(d, m.upds[k][s][i].d)
			}
			m.floorD[k][j] = d
		}
	}
	m.actFloorD = never
	for _, s := range scopes {
		i := slices.IndexFunc(m.upds[cmdAct][s], func(u upd) bool { return u.kind == cmdAct })
		switch {
		case s == scOtherRank:
		case i < 0:
			m.actFloorD = noFloor
		default:
			m.actFloorD = min(m.actFloorD, m.upds[cmdAct][s][i].d)
		}
	}
	for k := range m.upds {
		l := &m.upds[k]
		m.grpWide[k] = dominated(l[scSameBG], l[scSame])
		m.rankWide[k] = dominated(l[scOtherBG], l[scSameBG]) && dominated(l[scOtherBG], l[scSame])
	}
	if !c.ClosePage {
		// Only CLOSE_PAGE queues READ_PRECHARGE and WRITE_PRECHARGE
		// entries: nothing else reads their limits.
		for k := range m.upds {
			for s, l := range m.upds[k] {
				m.upds[k][s] = slices.DeleteFunc(l, func(u upd) bool { return u.kind == cmdReadP || u.kind == cmdWriteP })
			}
		}
	}
}

// dominated reports whether every limit in a is matched by one in b of the
// same command that is at least as late.
func dominated(a, b []upd) bool {
	for _, u := range a {
		if !slices.ContainsFunc(b, func(v upd) bool { return v.kind == u.kind && v.d >= u.d }) {
			return false
		}
	}
	return true
}

// channelOf returns the channel of an address.
func (m *Model) channelOf(addr uint64) *channel {
	if len(m.channels) == 1 {
		return m.channels[0]
	}
	i := int(addr >> m.chanShift & m.chanMask)
	if i >= len(m.channels) {
		i %= len(m.channels)
	}
	return m.channels[i]
}

// WillAccept reports whether the memory takes a request now (R5.1): its
// channel's read queue (write buffer, unified queue) has room.
func (m *Model) WillAccept(addr uint64, write bool) bool {
	c := m.channelOf(addr)
	if write && !m.cfg.UnifiedQueue {
		return len(c.writeBuf.trs) < m.tqs
	}
	return len(c.readQ.trs) < m.tqs
}

// Room is the number of requests of a kind (writes, or reads) the
// transaction queues of all channels take now, before any moves on.
func (m *Model) Room(write bool) int {
	n := 0
	for _, c := range m.channels {
		l := len(c.readQ.trs)
		if write && !m.cfg.UnifiedQueue {
			l = len(c.writeBuf.trs)
		}
		n += max(m.tqs-l, 0)
	}
	return n
}

// Add accepts a request in cycle t, after Tick(t) (R5.3, R5.4); the caller
// checked WillAccept. A write completes at t+2 (posted), as does a read
// served from the write buffer: for those known is true and done is the
// completion cycle. Any other read completes when its READ issues, which
// OnRead reports with id.
func (m *Model) Add(addr uint64, write bool, id int64, t int64) (done int64, known bool) {
	c := m.channelOf(addr)
	m.progress = t
	wasStable := c.stable && !m.noSkip
	done, known = m.add(c, addr, write, id, t)
	c.quietStop = -2
	if wasStable && c.schedWouldIdle() {
		// A sleeping channel whose new transaction cannot move (its
		// command queue is full) sleeps on: the next cycle would only
		// find that schedule moves nothing, as the skipped ones did (a
		// request changes nothing else a tick reads).
		c.schedIdle = true
		return done, known
	}
	c.stable, c.schedIdle = false, false
	m.due[c.id], m.soonest = t+1, min(m.soonest, t+1)
	return done, known
}

// add is Add on channel c, without the wake-up.
func (m *Model) add(c *channel, addr uint64, write bool, id int64, t int64) (done int64, known bool) {
	if write {
		c.stats.Writes++
		if c.pendingWr.get(addr) != nil {
			c.stats.MergedWrites++
			return t + 2, true
		}
		tr := m.newTrans(c, addr, true)
		c.pendingWr.put(addr, tr)
		if m.pendingWrites == 0 {
			m.wlo, m.whi = addr, addr
		}
		m.wlo, m.whi = min(m.wlo, addr), max(m.whi, addr)
		m.pendingWrites++
		c.push(&c.writeBuf, tr)
		return t + 2, true
	}
	c.stats.Reads++
	if c.pendingWr.get(addr) != nil {
		c.stats.Forwarded++
		return t + 2, true
	}
	m.waiting++
	if tr := c.pendingRd.get(addr); tr != nil {
		c.stats.MergedReads++
		tr.ids = append(tr.ids, id)
		return 0, false
	}
	tr := m.newTrans(c, addr, false)
	tr.ids = append(tr.ids, id)
	c.pendingRd.put(addr, tr)
	c.push(&c.readQ, tr)
	return 0, false
}

func (m *Model) newTrans(c *channel, addr uint64, write bool) *trans {
	var tr *trans
	if n := len(m.free); n > 0 {
		tr = m.free[n-1]
		m.free = m.free[:n-1]
	} else {
		tr = &trans{}
	}
	cfg := m.cfg
	loc := cfg.Decode(addr)
	// Field by field (every field is set): a whole-struct store of a
	// recycled transaction, which holds a slice, cost more than the rest
	// of newTrans.
	tr.addr, tr.write = addr, write
	tr.rank, tr.bg = int32(loc.Rank), int32(loc.BankGroup)
	tr.row, tr.col = int64(loc.Row), int64(loc.Column)
	tr.ids = tr.ids[:0]
	tr.bidx = int32(loc.Rank*cfg.Banks + loc.BankGroup*cfg.BanksPerGroup + loc.Bank)
	if cfg.PerRank {
		tr.q = int32(loc.Rank)
	} else {
		tr.q = tr.bidx
	}
	switch {
	case write && cfg.ClosePage:
		tr.kind = cmdWriteP
	case write:
		tr.kind = cmdWrite
	case cfg.ClosePage:
		tr.kind = cmdReadP
	default:
		tr.kind = cmdRead
	}
	return tr
}

func (m *Model) release(tr *trans) { m.free = append(m.free, tr) }

// Tick evaluates cycle t (R4.1, R4.3) on every channel where something can
// happen in it. Cycles must increase; a cycle may be skipped only if
// NextCycle said nothing happens in it.
func (m *Model) Tick(t int64) {
	n := int64(never)
	for i, at := range m.due {
		if at <= t || m.noSkip {
			c := m.channels[i]
			c.tick(t)
			at = t + 1
			if c.stable {
				at = c.nextAt
			}
			m.due[i] = at
		}
		n = min(n, at)
	}
	m.soonest = n
}

// NextCycle returns the first cycle after t at which something can happen
// in the memory if no request is added (never: nothing will).
func (m *Model) NextCycle(t int64) int64 {
	if m.noSkip {
		return t + 1
	}
	return max(m.soonest, t+1)
}

// nextRefresh is the first refresh trigger after t (R9.1).
func (m *Model) nextRefresh(t int64) int64 { return (t/m.interval + 1) * m.interval }

type channel struct {
	m         *Model
	id        int
	cfg       *Config
	banks     []bank
	grpE      [][numCmd]int64 // per bank group: limits set by commands to other groups of its rank
	rankE     [][numCmd]int64 // per rank: limits set by commands to other ranks, and REFRESH
	queues    [][]*trans
	queueRank []int32
	queued    int // entries in all command queues
	// lb[q] is a lower bound on the cycle queue q can supply a command: the
	// earliest ready time of its entries when it was last looked at (never
	// when empty). Timing tables, tFAW windows only move later, so it stays
	// a lower bound until an entry leaves the queue or the state (open row,
	// hits) of its bank changes, which set it anew; a new entry lowers it
	// to that entry's ready time. setLB files each queue by its bound:
	// due (look at it now), in the wheel slot of its bound, or far.
	lb []int64
	// due has bit q set when queue q must be looked at: its bound has come
	// (or it waits for a refresh). getCommand visits only these, so a busy
	// channel with many queues waiting costs a few bit operations a cycle.
	due []uint64
	// wheel[s*words+w] holds the queues whose bound is a cycle c with
	// c % wheelN == s, fewer than wheelN cycles ahead when filed (stale
	// bits, of queues filed again since, only cause an early look); slots
	// has bit s set if slot s may hold any. drain moves the slots of the
	// cycles up to t into due; wheelT is the last cycle drained.
	wheel  []uint64
	slots  uint64
	wheelT int64
	// far holds the queues whose bound was wheelN or more cycles ahead when
	// filed; farMin is the least of their bounds.
	far    []uint64
	farMin int64
	// sum[q] summarises PER_BANK queue q (see qsum).
	sum []qsum
	// nwr[q] counts the writes in command queue q: summarize stops once it
	// has found what the entries it has not read can no longer change.
	nwr []int32
	// sel[q] says which floor bounds PER_BANK queue q: 1 if its only
	// candidates are READs, 2 WRITEs, 3 both, 4+r if its bank (of rank r)
	// is closed, else 0 (a PRECHARGE may come first). floors[sel] is then a
	// lower bound on its ready time besides lb[q]: a READ or WRITE anywhere
	// in the channel holds back every other one for a while (the data
	// bus), and an ACTIVATE every other one of its rank (tRRD, tFAW),
	// which makes the bounds of all the queues waiting for one stale at
	// once; the floor keeps getCommand from looking at them again one by
	// one.
	sel     []uint8
	floors  []int64
	perRank bool
	// rdKind and wrKind are the commands of the channel's reads and writes
	// (READ and WRITE, or their _PRECHARGE forms with CLOSE_PAGE).
	rdKind, wrKind cmdKind
	// schedIdle says the last schedule moved nothing and nothing it reads
	// (transaction queues, command-queue room, pending reads) has changed.
	schedIdle bool
	rr        int
	readQ     tqueue // the unified queue when UnifiedQueue
	writeBuf  tqueue
	pendingRd addrMap
	pendingWr addrMap
	draining  int
	faw       [][]int64 // per rank: expiry times of the last activates (R7.5)
	aw32      [][]int64 // per rank, GDDR's 32-activate window
	refreshQ  []int32   // ranks waiting for a refresh
	inRefresh bool
	refRank   int32
	nextRank  int32
	lastRW    cmdKind // last READ/WRITE issued (turnaround counts); numCmd: none yet
	openBanks []int   // per rank
	openSince []int64 // per rank: cycle its first bank opened

	// Event skipping (R13): a stable channel does nothing before nextAt.
	stable    bool
	nextAt    int64
	refreshAt int64 // the next refresh trigger (R9.1) after the last tick
	quietStop int64 // cycle of the last tick that did nothing but a read-before-write stop

	stats Stats
}

func newChannel(m *Model, id int) *channel {
	cfg := m.cfg
	c := &channel{m: m, id: id, cfg: cfg, pendingRd: newAddrMap(), pendingWr: newAddrMap(),
		quietStop: -2, lastRW: numCmd}
	c.banks = make([]bank, cfg.Ranks*cfg.Banks)
	for i := range c.banks {
		c.banks[i].row = -1
		c.banks[i].rank = int32(i / cfg.Banks)
		c.banks[i].grp = int32(i % cfg.Banks / cfg.BanksPerGroup)
		c.banks[i].gidx = c.banks[i].rank*int32(cfg.BankGroups) + c.banks[i].grp
	}
	c.grpE = make([][numCmd]int64, cfg.Ranks*cfg.BankGroups)
	c.rankE = make([][numCmd]int64, cfg.Ranks)
	for i := range c.banks {
		c.banks[i].grpE = &c.grpE[c.banks[i].gidx]
		c.banks[i].rankE = &c.rankE[c.banks[i].rank]
	}
	nq := cfg.CommandQueues()
	c.queues = make([][]*trans, nq)
	c.queueRank = make([]int32, nq)
	c.lb = make([]int64, nq)
	words := (nq + 63) / 64
	c.due = make([]uint64, words)
	c.far = make([]uint64, words)
	c.wheel = make([]uint64, wheelN*words)
	c.farMin = never
	c.refreshAt = m.interval
	c.sum = make([]qsum, nq)
	c.nwr = make([]int32, nq)
	c.sel = make([]uint8, nq)
	c.floors = make([]int64, 4+cfg.Ranks)
	for i := range c.floors {
		c.floors[i] = noFloor
	}
	c.perRank = cfg.PerRank
	c.rdKind, c.wrKind = cmdRead, cmdWrite
	if cfg.ClosePage {
		c.rdKind, c.wrKind = cmdReadP, cmdWriteP
	}
	for q := range c.lb {
		c.lb[q] = never // empty
	}
	for q := range nq {
		c.queues[q] = make([]*trans, 0, min(cfg.CmdQueueSize, 64))
		if cfg.PerRank {
			c.queueRank[q] = int32(q)
		} else {
			c.queueRank[q] = int32(q / cfg.Banks)
		}
	}
	c.faw = make([][]int64, cfg.Ranks)
	c.openBanks = make([]int, cfg.Ranks)
	c.openSince = make([]int64, cfg.Ranks)
	if cfg.Protocol.isGDDR() {
		c.aw32 = make([][]int64, cfg.Ranks)
	}
	c.readQ = makeTQueue(min(cfg.TransQueueSize, 256), nq)
	c.writeBuf = makeTQueue(min(cfg.TransQueueSize, 256), nq)
	return c
}

// tick is one controller cycle of the channel (R4.3).

func (c *channel) tick(t int64) {
	m := c.m
	active := false
	minAt := int64(never)
	// 1: refresh trigger (R9.1).
	// refreshAt is the first multiple of the interval after the last tick
	// that tested, so no tick before it can be one: the division is done
	// only from there.
	if t >= c.refreshAt {
		c.refreshAt = m.nextRefresh(t)
		if t%m.interval == 0 {
			r := int32(0)
			if c.cfg.RefreshPolicy == RankStaggered {
				r = c.nextRank
				c.nextRank = (c.nextRank + 1) % int32(c.cfg.Ranks)
			}
			c.refreshQ = append(c.refreshQ, r)
			active = true
		}
	}
	// 2-4: at most one command (two on HBM).
	var cmd command
	ok := false
	if len(c.refreshQ) > 0 {
		cmd, ok = c.finishRefresh(t, &minAt)
	}
	if !ok {
		cmd, ok = c.getCommand(t, &minAt)
	}
	if ok {
		active = true
		c.issue(cmd, t)
		if c.cfg.HBMDualCmd {
			// R10: the second look moves the round-robin pointer even when
			// its command is not issued.
			var ignored int64 = never
			if cmd2, ok2 := c.getCommand(t, &ignored); ok2 && cmd2.kind.isRW() != cmd.kind.isRW() {
				c.issue(cmd2, t)
			}
		}
	}
	// 6: at most one transaction into a command queue.
	moved, stopped := false, false
	if !c.schedIdle || m.noSkip {
		moved, stopped = c.schedule(t)
		c.schedIdle = !moved && !stopped
	}
	if m.err != nil {
		c.stable, c.nextAt = true, never
		return
	}
	switch {
	case active || moved:
		c.quietStop = -2
		c.stable = false
		if !m.noSkip && c.quietNext(t) {
			// The next cycle would change nothing but look (R13.1): skip
			// it, as if it had ticked and found nothing to do.
			c.stable, c.schedIdle = true, true
			c.nextAt = c.refreshAt
			if c.queued > 0 {
				c.nextAt = min(c.nextAt, c.nextBound(t))
			}
		}
	case stopped && c.quietStop != t-1:
		// The stop reset write_draining: the next cycle may choose the
		// read queue (R13.1, item 4).
		c.stable = false
		c.quietStop = t
	default:
		// Nothing changed (or the same stop happened twice in a row, which
		// leaves the state as it was): nothing happens before a command
		// gets ready or a refresh falls due.
		if stopped {
			c.quietStop = t
		}
		c.stable = true
		c.nextAt = min(minAt, c.refreshAt)
	}
}

// quietNext reports, at the end of a tick at t that changed the state,
// whether the tick at t+1 could only find that nothing happens before
// nextBound: no refresh is due or under way, no queue is due (but for
// its floor) or comes due at t+1 (every bound still holds: timing only
// moves later, and issue bounded the queue it changed), and schedule
// would move nothing and leave write_draining as it is, its source having
// no entry whose command queue has room. A request added at t that can
// move makes the channel tick at t+1 anyway (Add). About half the ticks of
// a busy channel were such looks after a command.
func (c *channel) quietNext(t int64) bool {
	if len(c.refreshQ) > 0 || t+1 >= c.refreshAt {
		return false
	}
	if c.queued > 0 {
		// A tick that served a refresh, or found the queues empty, did
		// not drain the wheel.
		c.drain(t)
		// A due queue whose floor comes after t+1 is what getCommand at
		// t+1 would file at its floor without a look: file it now.
		for q := c.nextDue(0); q >= 0; q = c.nextDue(q + 1) {
			f := c.floors[c.sel[q]]
			if f <= t+1 {
				return false
			}
			c.setLB(q, f, t+1)
		}
		if c.nextBound(t) <= t+1 {
			return false
		}
	}
	return c.schedWouldIdle()
}

// schedWouldIdle reports whether schedule would move nothing and leave
// write_draining as it is: it would not start draining the write buffer,
// and its source has no entry whose command queue has room (it stops, at
// a write that waits for a read, only at such an entry).
func (c *channel) schedWouldIdle() bool {
	src := &c.readQ
	if !c.cfg.UnifiedQueue {
		n := len(c.writeBuf.trs)
		if c.draining == 0 && (n >= c.m.tqs || (n > 8 && c.queued == 0)) {
			return false
		}
		if c.draining > 0 {
			src = &c.writeBuf
		}
	}
	return src.fits == 0
}

// ready returns the command a queued entry needs now and the cycle it is
// timing-ready (R7.2).
func (c *channel) ready(e *trans) (cmdKind, int64) {
	b := &c.banks[e.bidx]
	switch {
	case !b.open:
		return cmdAct, c.actReady(b)
	case b.row == e.row:
		return e.kind, c.at(b, e.kind)
	}
	return cmdPre, c.at(b, cmdPre)
}

// getCommand is the round robin over the command queues (R6.1, R6.2): the
// first ready command of the first queue after rr that has one. When none
// is ready, minAt is lowered to the earliest cycle one could be (R13.1).
func (c *channel) getCommand(t int64, minAt *int64) (command, bool) {
	if c.queued == 0 {
		return command{}, false
	}
	c.drain(t)
	if c.m.noSkip {
		// Tests: look at every queue, whatever the bounds say.
		for q := range c.lb {
			c.due[q>>6] |= 1 << (q & 63)
		}
	}
	// Due queues rr+1 .. nq-1, then 0 .. rr.
	// A queue whose floor has not come is filed at the floor without a
	// look (a floored refreshing-rank queue too: it comes due again then).
	start := c.rr + 1
	sel, floors := c.sel, c.floors
	for q := c.nextDue(start); q >= 0; q = c.nextDue(q + 1) {
		if f := floors[sel[q]]; t < f {
			c.setLB(q, f, t)
		} else if cmd, ok := c.look(q, t); ok {
			return cmd, true
		}
	}
	for q := c.nextDue(0); q >= 0 && q < start; q = c.nextDue(q + 1) {
		if f := floors[sel[q]]; t < f {
			c.setLB(q, f, t)
		} else if cmd, ok := c.look(q, t); ok {
			return cmd, true
		}
	}
	// Only the refreshing rank's queues are left due: the refresh bounds
	// them (finishRefresh). The others come due with their wheel slot.
	*minAt = min(*minAt, c.nextBound(t))
	return command{}, false
}

// look evaluates due queue q at t (R6.2): its first ready command, or else
// the earliest cycle it could have one, which becomes its bound. The
// refreshing rank's queues are skipped (R9.2) and stay due. The caller
// checked the queue's floor.
func (c *channel) look(q int, t int64) (command, bool) {
	if c.inRefresh && c.queueRank[q] == c.refRank {
		return command{}, false
	}
	var (
		i    int
		kind cmdKind
		at   int64
	)
	if c.perRank {
		i, kind, at = c.firstReady(c.queues[q], t)
	} else {
		i, kind, at = c.firstReadyBank(q, t)
	}
	if i >= 0 {
		c.rr = q
		e := c.queues[q][i]
		return command{kind: kind, tr: e, bidx: e.bidx, q: int32(q), pos: int32(i)}, true
	}
	c.setLB(q, at, t)
	return command{}, false
}

// wheelN is the number of wheel slots (cycles ahead) for the bounds.
const wheelN = 64

// setLB sets queue q's bound to v at cycle t and files the queue by it.
func (c *channel) setLB(q int, v, t int64) {
	c.lb[q] = v
	w, bit := q>>6, uint64(1)<<(q&63)
	c.due[w] &^= bit
	switch {
	case v <= t:
		c.due[w] |= bit
	case v == never: // empty: an entry will file it again
	case v-t < wheelN:
		s := int(v & (wheelN - 1))
		c.wheel[s*len(c.due)+w] |= bit
		c.slots |= 1 << s
	default:
		c.far[w] |= bit
		c.farMin = min(c.farMin, v)
	}
}

// drain makes due the queues filed for the cycles up to t.
func (c *channel) drain(t int64) {
	if t <= c.wheelT {
		return
	}
	mask := ^uint64(0)
	if n := t - c.wheelT; n < wheelN {
		// The slots of cycles wheelT+1 .. t.
		mask = mbits.RotateLeft64(1<<n-1, int((c.wheelT+1)&(wheelN-1)))
	}
	words := len(c.due)
	for m := c.slots & mask; m != 0; m &= m - 1 {
		s := mbits.TrailingZeros64(m)
		slot := c.wheel[s*words : (s+1)*words]
		for w, b := range slot {
			c.due[w] |= b
			slot[w] = 0
		}
	}
	c.slots &^= mask
	c.wheelT = t
	if c.farMin-t < wheelN {
		// Refile the far queues whose bound is now near.
		c.farMin = never
		for w, b := range c.far {
			c.far[w] = 0
			for ; b != 0; b &= b - 1 {
				q := w<<6 | mbits.TrailingZeros64(b)
				c.setLB(q, c.lb[q], t)
			}
		}
	}
}

// nextBound is the earliest cycle after t at which a queue not due now
// can come due: its wheel slot's next cycle, or the far bound.
func (c *channel) nextBound(t int64) int64 {
	n := c.farMin
	if c.slots != 0 {
		// Slots in cycle order from t+1.
		r := int((t + 1) & (wheelN - 1))
		d := mbits.TrailingZeros64(mbits.RotateLeft64(c.slots, -r))
		n = min(n, t+1+int64(d))
	}
	return n
}

// nextDue is the first due queue at or after q, or -1.
func (c *channel) nextDue(q int) int {
	w := q >> 6
	if w >= len(c.due) {
		return -1
	}
	if b := c.due[w] &^ (1<<(q&63) - 1); b != 0 {
		return w<<6 | mbits.TrailingZeros64(b)
	}
	for w++; w < len(c.due); w++ {
		if b := c.due[w]; b != 0 {
			return w<<6 | mbits.TrailingZeros64(b)
		}
	}
	return -1
}

// bound is the earliest cycle queue q can supply a command (0 if it
// could already have), refresh aside.
func (c *channel) bound(q int) int64 {
	var i int
	var at int64
	if c.perRank {
		i, _, at = c.firstReady(c.queues[q], -1)
	} else {
		i, _, at = c.firstReadyBank(q, -1)
	}
	if i >= 0 {
		return 0
	}
	return at
}

// firstReady is R6.2 for any queue: the index of the first entry with a
// command ready at t, or -1 and the earliest cycle one could be.
func (c *channel) firstReady(queue []*trans, t int64) (int, cmdKind, int64) {
	qmin := int64(never)
	for i, e := range queue {
		kind, at := c.ready(e)
		if kind == cmdPre && !c.arbitratePrecharge(queue, i) {
			continue
		}
		if kind.isWrite() && c.rwDependency(queue, i) {
			continue
		}
		if t >= at {
			return i, kind, at
		}
		qmin = min(qmin, at)
	}
	return -1, 0, qmin
}

// firstReadyBank is firstReady for PER_BANK queue q, whose entries all
// target bank q: a closed bank makes every entry need the same ACTIVATE
// (the head's); an open one can only be served by the entries its summary
// names, whose commands are the channel's READ and WRITE kinds.
func (c *channel) firstReadyBank(q int, t int64) (int, cmdKind, int64) {
	s := &c.sum[q]
	if s.n == 0 {
		return -1, 0, never
	}
	b := &c.banks[q]
	if !b.open {
		at := c.actReady(b)
		if t >= at {
			return 0, cmdAct, at
		}
		return -1, 0, at
	}
	qmin := int64(never)
	if s.pre {
		at := max(b.earliest[cmdPre], b.grpE[cmdPre], b.rankE[cmdPre])
		if t >= at {
			return 0, cmdPre, at // the head: nothing comes before it
		}
		qmin = at
	}
	i, kind := -1, cmdKind(0)
	if s.rd >= 0 {
		k := c.rdKind
		if at := max(b.earliest[k], b.grpE[k], b.rankE[k]); t >= at {
			i, kind = int(s.rd), k
		} else {
			qmin = min(qmin, at)
		}
	}
	if s.wr >= 0 {
		k := c.wrKind
		if at := max(b.earliest[k], b.grpE[k], b.rankE[k]); t >= at {
			if i < 0 || int(s.wr) < i {
				i, kind = int(s.wr), k
			}
		} else {
			qmin = min(qmin, at)
		}
	}
	if i >= 0 {
		return i, kind, t
	}
	return -1, 0, qmin
}

// qsum names the entries of a PER_BANK queue whose bank is open that can
// supply a command (R6.2-R6.4). Entries hitting the open row need the
// bank's READ (WRITE) time, the same for all of them, so the first READ
// hit, and the first WRITE hit that passes the write-after-read check, are
// the only candidates; a missing entry can only precharge from the head,
// and only if no entry hits or the row has had its 4 hits. A summary
// depends only on the queue's entries and its bank's state, so it is made
// again when either changes (summarize), not when time passes.
type qsum struct {
	n      int32 // entries
	rd, wr int32 // index of the first READ / eligible WRITE hit, or -1
	pre    bool  // the head misses and may precharge
	hit    bool  // an entry hits the open row
}

// summarize remakes the summary of PER_BANK queue q.
func (c *channel) summarize(q int) {
	queue := c.queues[q]
	s := qsum{n: int32(len(queue)), rd: -1, wr: -1}
	b := &c.banks[q]
	if b.open && len(queue) > 0 {
		hit := false
		// Once the first READ hit is found, only a WRITE can change the
		// summary, and the other way round.
		nwr := c.nwr[q]
		nrd := int32(len(queue)) - nwr
		for i, e := range queue {
			if e.row != b.row {
				continue
			}
			hit = true
			c.noteHit(&s, queue, i)
			if (s.rd >= 0 || nrd == 0) && (s.wr >= 0 || nwr == 0) {
				break
			}
		}
		s.pre = queue[0].row != b.row && (!hit || b.hits >= 4)
		s.hit = hit
	}
	c.sum[q] = s
	c.setSel(q, s)
}

// summarizeAppend updates the summary of PER_BANK queue q for a new last
// entry (enqueue), without a pass over the others: an entry behind them
// changes none of their roles, it can only be the first READ or eligible
// WRITE hit, or the first hit at all.
func (c *channel) summarizeAppend(q int) {
	queue := c.queues[q]
	s := c.sum[q]
	s.n = int32(len(queue))
	if b := &c.banks[q]; b.open {
		i := len(queue) - 1
		if queue[i].row == b.row {
			s.hit = true
			c.noteHit(&s, queue, i)
		}
		s.pre = queue[0].row != b.row && (!s.hit || b.hits >= 4)
	}
	c.sum[q] = s
	c.setSel(q, s)
}

// noteHit records entry i of queue, a row hit, in summary s when it is
// the first READ hit or the first WRITE hit no read before it depends on.
func (c *channel) noteHit(s *qsum, queue []*trans, i int) {
	switch {
	case !queue[i].kind.isWrite():
		if s.rd < 0 {
			s.rd = int32(i)
		}
	case s.wr < 0 && !c.rwDependency(queue, i):
		s.wr = int32(i)
	}
}

// setSel sets sel[q] from queue q's summary s.
func (c *channel) setSel(q int, s qsum) {
	b := &c.banks[q]
	sel := uint8(0)
	if !b.open && s.n > 0 {
		sel = uint8(4 + b.rank)
	} else if b.open && !s.pre {
		if s.rd >= 0 {
			sel |= 1
		}
		if s.wr >= 0 {
			sel |= 2
		}
	}
	c.sel[q] = sel
}

// actReady is the cycle an ACTIVATE of b is timing-ready (R7.2, R7.5).
func (c *channel) actReady(b *bank) int64 {
	at := max(b.earliest[cmdAct], b.grpE[cmdAct], b.rankE[cmdAct])
	if f := c.faw[b.rank]; len(f) >= 4 {
		at = max(at, f[0])
	}
	if c.aw32 != nil {
		at = max(at, aw32Ready(c.aw32[b.rank]))
	}
	return at
}

// aw32Ready is the cycle GDDR's 32-activate window allows an ACTIVATE.
func aw32Ready(f []int64) int64 {
	if len(f) >= 32 {
		return f[0]
	}
	return 0
}

// arbitratePrecharge decides whether entry i, whose bank has another row
// open, may close it (R6.3).
func (c *channel) arbitratePrecharge(queue []*trans, i int) bool {
	e := queue[i]
	for _, o := range queue[:i] {
		if o.bidx == e.bidx {
			return false
		}
	}
	b := &c.banks[e.bidx]
	for _, o := range queue[i:] {
		if o.bidx == e.bidx && o.row == b.row {
			return b.hits >= 4
		}
	}
	return true
}

// rwDependency reports whether a READ ahead of write entry i reads its
// column (R6.4; the rank is not compared, as in DRAMsim3).
func (c *channel) rwDependency(queue []*trans, i int) bool {
	e := queue[i]
	bpg := int32(c.cfg.BanksPerGroup)
	for _, o := range queue[:i] {
		if o.kind.isRead() && o.row == e.row && o.col == e.col && o.bg == e.bg && o.bidx%bpg == e.bidx%bpg {
			return true
		}
	}
	return false
}

// finishRefresh serves the refresh at the head of the refresh queue (R9.2):
// a PRECHARGE of the first open bank of its rank that may close, or the
// REFRESH once every bank of the rank is closed and ready.
func (c *channel) finishRefresh(t int64, minAt *int64) (command, bool) {
	r := c.refreshQ[0]
	if !c.inRefresh {
		c.inRefresh = true
		c.refRank = r
	}
	nb := c.cfg.Banks
	base := int(r) * nb
	n := 0
	anyOpen := false
	var last int64
	for i := base; i < base+nb; i++ {
		b := &c.banks[i]
		if b.open {
			pre := c.at(b, cmdPre)
			if t >= pre {
				return command{kind: cmdPre, bidx: int32(i), q: -1}, true
			}
			anyOpen = true
			*minAt = min(*minAt, pre)
		} else if ref := c.at(b, cmdRef); t >= ref {
			n++
		} else {
			last = max(last, ref)
		}
	}
	if n == nb {
		c.inRefresh = false
		return command{kind: cmdRef, rank: r, q: -1}, true
	}
	if !anyOpen {
		*minAt = min(*minAt, last)
	}
	return command{}, false
}

// issue carries out a command (R8): completions, bank state, timing.
func (c *channel) issue(cmd command, t int64) {
	m := c.m
	cfg := c.cfg
	if cmd.q >= 0 && cmd.kind.isRW() {
		// R6.5: the issued READ/WRITE leaves its command queue.
		queue := c.queues[cmd.q]
		wasRoom := c.room(cmd.q)
		copy(queue[cmd.pos:], queue[cmd.pos+1:])
		queue[len(queue)-1] = nil
		c.queues[cmd.q] = queue[:len(queue)-1]
		if !wasRoom && c.room(cmd.q) {
			c.readQ.fits += c.readQ.want[cmd.q]
			c.writeBuf.fits += c.writeBuf.want[cmd.q]
		}
		c.queued--
		if cmd.kind.isWrite() {
			c.nwr[cmd.q]--
		}
		c.schedIdle = false
		m.progress = t
	}
	switch cmd.kind {
	case cmdRead, cmdReadP:
		tr := cmd.tr
		done := t + int64(cfg.ReadDelay)
		c.pendingRd.del(tr.addr)
		m.waiting -= len(tr.ids)
		if m.OnRead != nil {
			for _, id := range tr.ids {
				m.OnRead(id, done)
			}
		}
		m.release(tr)
		c.stats.ReadCmds++
		if c.lastRW != numCmd && c.lastRW.isWrite() {
			c.stats.WriteToRead++
		}
		c.lastRW = cmd.kind
	case cmdWrite, cmdWriteP:
		c.pendingWr.del(cmd.tr.addr)
		m.pendingWrites--
		m.release(cmd.tr)
		c.stats.WriteCmds++
		if c.lastRW != numCmd && c.lastRW.isRead() {
			c.stats.ReadToWrite++
		}
		c.lastRW = cmd.kind
	case cmdAct:
		c.stats.Activates++
	case cmdPre:
		c.stats.Precharges++
	case cmdRef:
		c.stats.Refreshes++
		c.stats.RefreshCycles += int64(cfg.Timing.TRFC)
	}
	if cmd.kind == cmdRef {
		e := &c.rankE[cmd.rank]
		d := t + int64(cfg.Timing.TRFC)
		e[cmdAct] = max(e[cmdAct], d)
		e[cmdRef] = max(e[cmdRef], d)
		if !m.noSkip {
			c.floors[4+cmd.rank] = max(c.floors[4+cmd.rank], d)
		}
		c.refreshQ = c.refreshQ[:copy(c.refreshQ, c.refreshQ[1:])]
		return
	}
	b := &c.banks[cmd.bidx]
	// Active standby: a rank with a bank open (energy).
	wasOpen := b.open
	// R7.1 bank state.
	switch cmd.kind {
	case cmdAct:
		b.open, b.row, b.hits = true, cmd.tr.row, 0
	case cmdRead, cmdWrite:
		c.countAccess(b)
		b.hits++
	case cmdReadP, cmdWriteP:
		c.countAccess(b)
		b.open, b.row, b.hits, b.conflict = false, -1, 0, false
	case cmdPre:
		// A precharge from the queues closes a row another request missed;
		// the refresh's (no entry) closes it for the refresh.
		b.conflict = cmd.q >= 0
		b.open, b.row, b.hits = false, -1, 0
	}
	if b.open != wasOpen {
		r := b.rank
		if b.open {
			if c.openBanks[r] == 0 {
				c.openSince[r] = t
			}
			c.openBanks[r]++
		} else if c.openBanks[r]--; c.openBanks[r] == 0 {
			c.stats.ActiveCycles += t - c.openSince[r]
		}
	}
	// R7.3 timing. A limit for the other ranks (bank groups) is the same
	// for all their banks, so it is kept once per rank (group) instead of
	// in every bank: a READ touches a handful of entries, not every bank.
	upds := &m.upds[cmd.kind]
	if l := upds[scOtherRank]; len(l) > 0 {
		for r := range c.rankE {
			if r != int(b.rank) {
				raise(&c.rankE[r], l, t)
			}
		}
	}
	if l := upds[scOtherBG]; len(l) > 0 {
		if m.rankWide[cmd.kind] {
			raise(b.rankE, l, t)
		} else {
			lo := int(b.rank) * cfg.BankGroups
			for g := lo; g < lo+cfg.BankGroups; g++ {
				if g != int(b.gidx) {
					raise(&c.grpE[g], l, t)
				}
			}
		}
	}
	if l := upds[scSameBG]; len(l) > 0 {
		if m.grpWide[cmd.kind] {
			raise(b.grpE, l, t)
		} else {
			lo := int(b.rank)*cfg.Banks + int(b.grp)*cfg.BanksPerGroup
			for i := lo; i < lo+cfg.BanksPerGroup; i++ {
				if i != int(cmd.bidx) {
					raise(&c.banks[i].earliest, l, t)
				}
			}
		}
	}
	raise(&b.earliest, upds[scSame], t)
	if cmd.kind.isRW() && !m.noSkip {
		f := c.floors
		f[1] = max(f[1], t+m.floorD[cmd.kind][0])
		f[2] = max(f[2], t+m.floorD[cmd.kind][1])
		f[3] = min(f[1], f[2])
	}
	// The bank's queue changed (its entries or its bank's state): its new
	// bound now spares the next cycle a look at it (the other bounds still
	// hold: timing only moves later).
	q := int(b.rank)
	if !cfg.PerRank {
		q = int(cmd.bidx)
		c.summarize(q)
	}
	c.setLB(q, c.bound(q), t)
	if cmd.kind == cmdAct {
		// R7.5: drop the oldest activate if it has expired, add this one.
		c.faw[b.rank] = pushWindow(c.faw[b.rank], t, int64(cfg.Timing.TFAW))
		if c.aw32 != nil {
			c.aw32[b.rank] = pushWindow(c.aw32[b.rank], t, int64(cfg.Timing.T32AW))
		}
		if !m.noSkip {
			f := max(c.floors[4+b.rank], t+m.actFloorD)
			if w := c.faw[b.rank]; len(w) >= 4 {
				f = max(f, w[0])
			}
			if c.aw32 != nil {
				if w := c.aw32[b.rank]; len(w) >= 32 {
					f = max(f, w[0])
				}
			}
			c.floors[4+b.rank] = f
		}
	}
}

// raise applies the limits l of a command issued at t to a timing table.
func raise(e *[numCmd]int64, l []upd, t int64) {
	for _, u := range l {
		if v := t + u.d; v > e[u.kind] {
			e[u.kind] = v
		}
	}
}

// at is the cycle bank b allows command k (R7.3): the latest of the limits
// set on the bank, on its bank group and on its rank. Each limit is a max,
// so keeping them apart and taking the max here gives the same cycle as
// raising every bank's own table.
func (c *channel) at(b *bank, k cmdKind) int64 {
	return max(b.earliest[k], b.grpE[k], b.rankE[k])
}

func pushWindow(w []int64, t, d int64) []int64 {
	if len(w) > 0 && t >= w[0] {
		w = w[:copy(w, w[1:])]
	}
	return append(w, t+d)
}

// countAccess classifies a READ/WRITE as row hit, miss or conflict.
func (c *channel) countAccess(b *bank) {
	switch {
	case b.hits > 0:
		c.stats.RowHits++
	case b.conflict:
		c.stats.RowConflicts++
	default:
		c.stats.RowMisses++
	}
}

// schedule moves at most one transaction into its command queue (R5.5).
// stopped reports a read-before-write stop.
func (c *channel) schedule(t int64) (moved, stopped bool) {
	cfg := c.cfg
	unified := cfg.UnifiedQueue
	if c.draining == 0 && !unified {
		if n := len(c.writeBuf.trs); n >= c.m.tqs || (n > 8 && c.queued == 0) {
			c.draining = n
		}
	}
	src := &c.readQ
	if !unified && c.draining > 0 {
		src = &c.writeBuf
	}
	if src.fits == 0 {
		return false, false // no entry's command queue has room
	}
	queues, size := c.queues, c.m.cmdQSize
	for i, q := range src.qs {
		if len(queues[q]) >= size {
			continue
		}
		tr := src.trs[i]
		if !unified && tr.write {
			if rd := c.pendingRd.get(tr.addr); rd != nil {
				if n := len(c.writeBuf.trs); c.queued == 0 && (n > 8 || n >= c.m.tqs) {
					// DRAMsim3 would stop here in every cycle from now on
					// (R5.5 livelock): serve the read instead.
					if c.m.StopOnLivelock {
						c.m.err = fmt.Errorf("livelock at cycle %d: the write to %#x waits for a read of the same address that cannot move while the write buffer drains (DRAMsim3 never finishes here)", t, tr.addr)
						return false, true
					}
					c.stats.LivelockBreaks++
					c.draining = 0
					c.remove(&c.readQ, rd)
					c.enqueue(rd, t)
					return true, false
				}
				c.draining = 0
				return false, true
			}
			c.draining--
		}
		c.removeAt(src, i)
		c.enqueue(tr, t)
		return true, false
	}
	return false, false
}

func (c *channel) enqueue(tr *trans, t int64) {
	wasRoom := c.room(tr.q)
	c.queues[tr.q] = append(c.queues[tr.q], tr)
	if tr.write {
		c.nwr[tr.q]++
	}
	if wasRoom && !c.room(tr.q) {
		c.readQ.fits -= c.readQ.want[tr.q]
		c.writeBuf.fits -= c.writeBuf.want[tr.q]
	}
	if !c.cfg.PerRank {
		c.summarizeAppend(int(tr.q))
	}
	// A new last entry cannot make an earlier one ready sooner (R6.3 and
	// R6.4 only look at entries before it, or add row hits that keep a
	// precharge back), so the bounds only need to cover its own command.
	if _, at := c.ready(tr); at < c.lb[tr.q] {
		c.setLB(int(tr.q), at, t)
	}
	c.queued++
}

// tqueue is a transaction queue (read queue, write buffer): transactions
// in order and, beside them, their command queues, which the first-fit
// scan of schedule reads without touching the transactions. want counts
// the entries per command queue and fits those whose command queue has
// room, so schedule knows without a scan when nothing can move.
type tqueue struct {
	trs  []*trans
	qs   []int32
	want []int32
	fits int32
}

func makeTQueue(n, nq int) tqueue {
	return tqueue{trs: make([]*trans, 0, n), qs: make([]int32, 0, n), want: make([]int32, nq)}
}

// room reports whether command queue q takes another entry (R6.6).
func (c *channel) room(q int32) bool { return len(c.queues[q]) < c.m.cmdQSize }

func (c *channel) push(l *tqueue, tr *trans) {
	l.trs = append(l.trs, tr)
	l.qs = append(l.qs, tr.q)
	l.want[tr.q]++
	if c.room(tr.q) {
		l.fits++
	}
}

func (c *channel) removeAt(l *tqueue, i int) {
	q := l.qs[i]
	l.want[q]--
	if c.room(q) {
		l.fits--
	}
	n := len(l.trs) - 1
	copy(l.trs[i:], l.trs[i+1:])
	copy(l.qs[i:], l.qs[i+1:])
	l.trs[n] = nil
	l.trs, l.qs = l.trs[:n], l.qs[:n]
}

func (c *channel) remove(l *tqueue, tr *trans) {
	for i, o := range l.trs {
		if o == tr {
			c.removeAt(l, i)
			return
		}
	}
}
