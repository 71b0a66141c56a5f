// Package runner runs a network: it builds the accelerator a config
// describes (components, multicore) with its memory (memory.go), simulates
// the layers on akita's engine, serially or several at a time with reuse
// of repeated shapes (parallel.go), stops cleanly on a cancelled context
// (stop.go), and hands each layer's figures to package report as it
// finishes. Reading inputs is package config's and topology's job.
package runner
