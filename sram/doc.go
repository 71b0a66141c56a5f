// Package sram holds npusim's on-chip buffers: the double-buffered operand
// read buffers (ifmap, filter) and the ofmap write buffer. Each is an akita
// component with a "Top" port facing the PE array and a "Bottom" port
// facing a DRAM channel (or any component that serves
// protocol.BurstReq); their prefetch and drain policies are SCALE-Sim
// v2's.
//
// [MakeBuilder] builds them ([Builder.BuildReadBuffer],
// [Builder.BuildWriteBuffer]). In USER mode ([Builder.WithBandwidth] > 0)
// a read buffer slides its active window over the layer's fill order as
// SCALE-Sim's read_buffer.py does and makes the array wait for fills; in
// CALC mode it never stalls and dates its fetches so that the DRAM figures
// give the bandwidth the layer needs. The write buffer accepts results,
// drains them once more than its drain half is occupied, and makes the
// array wait only when it is full. [ReadBuffer.Stats] and
// [WriteBuffer.Stats] give the SRAM figures of SCALE-Sim's reports.
//
// Usually the buffers are built by package components as part of an
// accelerator, as in the examples.
package sram
