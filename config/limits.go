// Limits: the bounds npusim puts on inputs, beyond SCALE-Sim's own checks,
// so that no value can overflow, exhaust memory or hang a run. One table.

package config

// MaxTraceSRAMKB bounds the buffer sizes when traces are written: a
// buffer's DRAM fetches (up to half the buffer) are built in memory as
// trace rows, 8 bytes per word.
const MaxTraceSRAMKB = 1 << 14

// MaxTraceLineWords bounds Bandwidth when traces are written: each DRAM
// trace row of a USER-mode run holds Bandwidth addresses, built in memory.
const MaxTraceLineWords = 1 << 20

// MaxAddress bounds an operand's last word address (offset + size), so
// that no address overflows int64 and none turns negative (a negative
// address would read as SCALE-Sim's -1 padding).
const MaxAddress = 1 << 62

// MaxArrayDim bounds ArrayHeight and ArrayWidth: buffers keep a slot per
// array row or column, and 2^16 x 2^16 PEs is far beyond any NPU.
const MaxArrayDim = 1 << 16

// MaxBandwidth bounds Bandwidth (words per cycle). SCALE-Sim counts a
// DRAM fetch as whole lines of Bandwidth words, so the DRAM word counts
// grow with it; 2^32 keeps them within int64 (2^62 made them wrap to
// negative, 2^63-1 overflowed a division).
const MaxBandwidth = 1 << 32

// Bounds of the [dram] keys. Each is far beyond a real memory, and keeps
// the memory's state and the work per cycle small: a controller keeps a
// few kB of state (2^20 Channels ran out of memory), a request holds its
// RequestBytes of data (2^30 ran out of memory), and a controller's tick
// looks at each of its Width request slots (2^31-1 never finished).
const (
	MaxDRAMChannels     = 1024    // Channels: memory controllers
	MaxDRAMWidth        = 1024    // Width: requests a fixed memory starts per cycle
	MaxDRAMRequestBytes = 1 << 16 // RequestBytes: 64 KiB
	MaxDRAMInFlight     = 1 << 16 // MaxInFlight: an adapter's outstanding requests
	MaxDRAMLatency      = 1<<31 - 1
)
