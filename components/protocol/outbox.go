package protocol

import "github.com/sarchlab/akita/v3/sim"

// Outbox is a component's queue of outgoing messages, sent in order as the
// connections take them. npusim's components queue what they have to say
// and keep handling what they receive even while the queue is stuck: two
// components that stop receiving while they cannot send would wait on each
// other forever.
type Outbox []sim.Msg

// Queue gives msg a fresh ID, source and destination and queues it.
func (o *Outbox) Queue(src, dst sim.Port, msg sim.Msg) {
	meta := msg.Meta()
	meta.ID = sim.GetIDGenerator().Generate()
	meta.Src, meta.Dst = src, dst
	*o = append(*o, msg)
}

// Flush sends what the connections take; it reports whether it sent
// anything. What is left waits for the connection to notify the sender's
// component that it is free again.
func (o *Outbox) Flush(now sim.VTimeInSec) (sent bool) {
	for len(*o) > 0 {
		m := (*o)[0]
		m.Meta().SendTime = now
		if m.Meta().Src.Send(m) != nil {
			return sent
		}
		(*o)[0] = nil
		*o = (*o)[1:]
		sent = true
	}
	return sent
}

// Empty reports whether everything has been sent.
func (o *Outbox) Empty() bool { return len(*o) == 0 }
