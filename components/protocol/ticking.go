package protocol

import (
	"sync"

	"github.com/sarchlab/akita/v3/sim"
)

// TickingComponent is akita's sim.TickingComponent with one addition that
// npusim's components need: a wake-up at a chosen future cycle (TickAt),
// for a burst held until its modelled cycle.
//
// akita's TickScheduler remembers only the latest tick it scheduled, so it
// cannot take a wake-up far ahead without dropping the next-cycle ticks a
// message asks for; scheduling raw tick events beside it, as npusim once
// did, ticks a component twice at one instant, which the parallel engine
// runs on two goroutines at once. This scheduler keeps the set of instants
// it has scheduled and not yet handled, schedules each instant once, and
// never handles a tick at or before the last one it handled: a component
// ticks at most once per instant on every engine.
type TickingComponent struct {
	*sim.ComponentBase
	Engine sim.Engine
	Freq   sim.Freq

	ticker sim.Ticker

	mu      sync.Mutex
	pending []sim.VTimeInSec // scheduled and not handled yet (a handful)
	last    sim.VTimeInSec   // the last instant handled
	dropped int64            // tick events refused because their instant was handled
}

// NewTickingComponent returns a ticking component named name whose ticks,
// on engine at freq, call ticker.Tick.
func NewTickingComponent(name string, engine sim.Engine, freq sim.Freq, ticker sim.Ticker) *TickingComponent {
	return &TickingComponent{
		ComponentBase: sim.NewComponentBase(name),
		Engine:        engine, Freq: freq, ticker: ticker, last: -1,
	}
}

// TickAt makes the component tick at engine time t, unless a tick at t is
// already scheduled or t is not after the last tick handled.
func (c *TickingComponent) TickAt(t sim.VTimeInSec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tickAtLocked(t)
}

func (c *TickingComponent) tickAtLocked(t sim.VTimeInSec) {
	if t <= c.last {
		return
	}
	for _, p := range c.pending {
		if p == t {
			return
		}
	}
	c.pending = append(c.pending, t)
	c.Engine.Schedule(sim.MakeTickEvent(t, c))
}

// WakeAt makes the component tick at t (later than now) unless it already
// ticks at or before t (and after now): that tick asks again if it must,
// so a component that keeps moving its next deadline does not pile up
// wake-ups.
func (c *TickingComponent) WakeAt(now, t sim.VTimeInSec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pending {
		if p >= now && p <= t {
			return
		}
	}
	c.tickAtLocked(t)
}

// TickNow makes the component tick at now, if it has not ticked at now.
func (c *TickingComponent) TickNow(now sim.VTimeInSec) { c.TickAt(now) }

// TickLater makes the component tick at the cycle after now.
func (c *TickingComponent) TickLater(now sim.VTimeInSec) { c.TickAt(c.Freq.NextTick(now)) }

// NotifyRecv wakes the component when a message arrives.
func (c *TickingComponent) NotifyRecv(now sim.VTimeInSec, _ sim.Port) { c.TickLater(now) }

// NotifyPortFree wakes the component when a connection can take a message
// again.
func (c *TickingComponent) NotifyPortFree(now sim.VTimeInSec, _ sim.Port) { c.TickLater(now) }

// Handle runs a tick; a tick that made progress asks for the next cycle.
func (c *TickingComponent) Handle(e sim.Event) error {
	now := e.Time()
	c.mu.Lock()
	for i, p := range c.pending {
		if p == now {
			c.pending[i] = c.pending[len(c.pending)-1]
			c.pending = c.pending[:len(c.pending)-1]
			break
		}
	}
	if now <= c.last {
		// a tick event scheduled by someone else for an instant already
		// handled: running it would tick the component twice
		c.dropped++
		c.mu.Unlock()
		return nil
	}
	c.last = now
	c.mu.Unlock()
	if c.ticker.Tick(now) {
		c.TickLater(now)
	}
	return nil
}

// DroppedTicks is the number of tick events refused because the component
// had already ticked at their instant (events scheduled around TickAt).
func (c *TickingComponent) DroppedTicks() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}
