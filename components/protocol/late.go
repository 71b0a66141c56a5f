package protocol

// LateRow is a row whose reads were late: the cycle its ifmap and its
// filter data were ready (NotLate where that read was on time). The PE
// array and the vector unit keep a row-sorted list of them, merged from
// the read buffers' ReadFoldRsp.Ready lists, to date their stalls.
type LateRow struct {
	Row   int64
	Ready [2]int64
}

// NotLate marks an operand of a LateRow whose read was on time.
const NotLate = -1 << 62

// MergeLate merges one read buffer's row-sorted lateness rs (operand op)
// into the row-sorted list late.
func MergeLate(late []LateRow, op int, rs []RowReady) []LateRow {
	if len(rs) == 0 {
		return late
	}
	out := make([]LateRow, 0, len(late)+len(rs))
	i := 0
	for _, r := range rs {
		for i < len(late) && late[i].Row < r.Row {
			out = append(out, late[i])
			i++
		}
		if i < len(late) && late[i].Row == r.Row {
			l := late[i]
			l.Ready[op] = r.Cycle
			out = append(out, l)
			i++
			continue
		}
		l := LateRow{Row: r.Row, Ready: [2]int64{NotLate, NotLate}}
		l.Ready[op] = r.Cycle
		out = append(out, l)
	}
	return append(out, late[i:]...)
}

// SegmentStall is the stall after a segment of rows whose last row is
// lastRow and whose writes m answered: the largest of the write wait and
// the lateness of that row's reads (late's head, when it is that row). It
// returns the stall, the operand whose read caused it (-1: the write wait,
// or no stall) and late without that row.
func SegmentStall(late []LateRow, lastRow int64, m *WriteRsp) (stall int64, by int, rest []LateRow) {
	stall, by = m.LastAccepted-m.LastCycle, -1
	if len(late) > 0 && late[0].Row == lastRow {
		for op, ready := range late[0].Ready {
			if s := ready - m.LastCycle - 1; s > stall {
				stall, by = s, op
			}
		}
		late = late[1:]
	}
	return stall, by, late
}
