package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long the command waits, after SIGINT or SIGTERM, for
// the run to stop by itself (it stops at the simulation's next event; a
// single very long fold can delay that) before exiting anyway. The run
// folder is consistent either way: files under final names are complete
// and RUN_INCOMPLETE is there from the start.
const stopGrace = 3 * time.Second

// signalError is the cause of a run stopped by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string {
	name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[e.sig]
	if name == "" {
		name = e.sig.String()
	}
	return "interrupted by " + name
}

// interrupted returns the context the run watches: it is cancelled, with
// a signalError as its cause, by the first SIGINT or SIGTERM. A second
// signal has the default effect (the process dies at once).
var interrupted = sync.OnceValue(func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := (<-ch).(syscall.Signal)
		signal.Reset(syscall.SIGINT, syscall.SIGTERM)
		err := signalError{sig}
		cancel(err)
		time.Sleep(stopGrace)
		fmt.Fprintf(os.Stderr, "npusim: %v; the run did not stop within %v (RUN_INCOMPLETE marks it incomplete)\n", err, stopGrace)
		os.Exit(exitStatus(err))
	}()
	return ctx
})

// exitStatus is the command's exit status for the error run returned:
// 128+n for a run stopped by signal n (130 for SIGINT, 143 for SIGTERM),
// as shells report a process killed by it, and 1 for any other error.
func exitStatus(err error) int {
	var se signalError
	if errors.As(err, &se) {
		return 128 + int(se.sig)
	}
	return 1
}
