package protocol

import "github.com/sarchlab/akita/v3/sim"

// Outbox is a component's queue of outgoing messages. npusim's components
// queue what they have to say and keep handling what they receive even while
// the queue is stuck: two components that stop receiving while they cannot
// send would wait on each other forever.
//
// A message may be held until an engine time (QueueAt): that is how a
// component whose model has already worked out that a burst leaves at cycle
// c sends it at c, not earlier. Messages leave in the order they were
// queued, per source port: a held message holds back the later ones of its
// port, never those of another port.
type Outbox struct {
	q []held
	// OnSend, if set, is called with each message as it leaves (tracing
	// uses it: a burst's task starts when the burst really leaves).
	OnSend func(sim.Msg)
}

// HeaderBytes is what a message weighs on an interconnect beside the data
// it carries (Meta().TrafficBytes), for a NoC model between components.
const HeaderBytes = 16

type held struct {
	msg sim.Msg
	at  sim.VTimeInSec
}

// Queue gives msg a fresh ID, source and destination and queues it to leave
// as soon as the connection takes it.
func (o *Outbox) Queue(src, dst sim.Port, msg sim.Msg) { o.QueueAt(src, dst, msg, 0) }

// QueueAt queues msg to leave at engine time at or later.
func (o *Outbox) QueueAt(src, dst sim.Port, msg sim.Msg, at sim.VTimeInSec) {
	meta := msg.Meta()
	meta.ID = sim.GetIDGenerator().Generate()
	meta.Src, meta.Dst = src, dst
	if meta.TrafficBytes == 0 {
		meta.TrafficBytes = HeaderBytes
	}
	o.q = append(o.q, held{msg, at})
}

// Flush sends what is due and what the connections take; it reports whether
// it sent anything. A message refused by a full connection waits for the
// connection to notify the sender's component that it is free again; one
// held for later waits for the component's own wake-up (see NextRelease).
func (o *Outbox) Flush(now sim.VTimeInSec) (sent bool) {
	var stuck [2]sim.Port // source ports blocked in this flush (npusim's components send from at most two)
	nStuck := 0
	isStuck := func(p sim.Port) bool {
		for _, s := range stuck[:nStuck] {
			if s == p {
				return true
			}
		}
		return false
	}
	kept := o.q[:0]
	for i, h := range o.q {
		src := h.msg.Meta().Src
		if nStuck == len(stuck) || isStuck(src) {
			kept = append(kept, h)
			continue
		}
		if h.at <= now {
			h.msg.Meta().SendTime = now
			if src.Send(h.msg) == nil {
				sent = true
				if o.OnSend != nil {
					o.OnSend(h.msg)
				}
				o.q[i].msg = nil
				continue
			}
		}
		stuck[nStuck] = src
		nStuck++
		kept = append(kept, h)
	}
	for i := len(kept); i < len(o.q); i++ {
		o.q[i] = held{}
	}
	o.q = kept
	return sent
}

// NextRelease returns the earliest time a held message becomes due, if one
// is held for later than now.
func (o *Outbox) NextRelease(now sim.VTimeInSec) (sim.VTimeInSec, bool) {
	var t sim.VTimeInSec
	found := false
	for _, h := range o.q {
		if h.at > now && (!found || h.at < t) {
			t, found = h.at, true
		}
	}
	return t, found
}

// Empty reports whether everything has been sent.
func (o *Outbox) Empty() bool { return len(o.q) == 0 }
