// Package vector is npusim's vector unit: the part of an NPU beside the PE
// array that runs the operators between the matrix multiplies (activations,
// elementwise arithmetic, normalisations, pooling, data movement).
//
// # Cost model
//
// The unit has Lanes lanes, a pipeline Latency and a cost table giving, per
// operator, the cycles one lane spends on one element. A layer does
// Elements*Window element-steps (Window is the pooling window or the length
// reduced over, 1 for an elementwise operator), spread over the lanes:
//
//	compute cycles = Latency + ceil(Cost(op) * Elements * Window / Lanes)
//
// The defaults follow ONNXim's vector core (PSAL-POSTECH/ONNXim,
// src/SystolicWS.cc, get_vector_compute_cycles, with the one-cycle
// add/mul/exp/gelu/add-tree latencies of its shipped configs/*.json): one
// pass of the lanes per vector operation an operator is made of, and one
// more per reduction tree (see DefaultCosts for each operator's
// breakdown).
//
// # Memory
//
// The unit has no memory of its own: it streams its operands through the
// accelerator's SRAM buffers, like the PE array, and so causes the same
// DRAM traffic and stalls (see Unit). The first input streams through the
// ifmap buffer, a second input (the other addend of an Add, a layer's
// scale and bias) through the filter buffer, and the result through the
// ofmap buffer.
package vector
