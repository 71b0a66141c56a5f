package protocol

import "github.com/sarchlab/akita/v3/sim"

// Clock converts between engine time and cycles of one clock, and wakes a
// component at a future cycle. Cycle n of the clock is engine time
// n / freq; a layer's cycle c is the clock's cycle Origin + c.
type Clock struct {
	Freq   sim.Freq
	engine sim.Engine
	owner  sim.Handler
	waker  waker
	waking sim.VTimeInSec // the earliest wake-up scheduled and not yet past (raw owners)
}

// waker is a component whose tick scheduler takes wake-ups at any instant
// (TickingComponent).
type waker interface {
	WakeAt(now, t sim.VTimeInSec)
}

// NewClock returns a clock at freq for owner. An owner built on
// TickingComponent is woken through its own tick scheduler, which ticks it
// at most once per instant; any other handler gets raw tick events, which
// is only safe if it never ticks otherwise.
func NewClock(engine sim.Engine, freq sim.Freq, owner sim.Handler) *Clock {
	c := &Clock{Freq: freq, engine: engine, owner: owner, waking: -1}
	c.waker, _ = owner.(waker)
	return c
}

// Time returns the engine time of cycle c.
func (c *Clock) Time(cycle int64) sim.VTimeInSec {
	return sim.VTimeInSec(float64(cycle) / float64(c.Freq))
}

// Cycle returns the cycle engine time now falls on.
func (c *Clock) Cycle(now sim.VTimeInSec) int64 { return int64(c.Freq.Cycle(now)) }

// WakeAt makes the owner tick at engine time t (later than now). Asking
// again for a later time while an earlier wake-up is pending schedules
// nothing, since the owner asks again when it wakes.
func (c *Clock) WakeAt(now, t sim.VTimeInSec) {
	if c.waker != nil {
		c.waker.WakeAt(now, t)
		return
	}
	if c.waking > now && c.waking <= t {
		return
	}
	c.waking = t
	c.engine.Schedule(sim.MakeTickEvent(t, c.owner))
}

// Flush sends what o has due and schedules a wake-up for the next message
// it holds; it reports whether anything was sent.
func (c *Clock) Flush(o *Outbox, now sim.VTimeInSec) bool {
	sent := o.Flush(now)
	if t, ok := o.NextRelease(now); ok {
		c.WakeAt(now, t)
	}
	return sent
}
