package systolic

import "testing"

// TestDemandRowsNoPixelTable checks the demand against the reference with
// the pixels worked out one by one, as they are for layers too large to
// tabulate.
func TestDemandRowsNoPixelTable(t *testing.T) {
	defer func(n int) { maxPixelTable = n }(maxPixelTable)
	maxPixelTable = 0
	TestDemandRows(t)
}

// TestFillOrderNextNTables checks NextN against Next (which never uses the
// pixel table) without the pixel table and without the window table.
func TestFillOrderNextNTables(t *testing.T) {
	defer func(n, w int) { maxPixelTable, maxWindowTable = n, w }(maxPixelTable, maxWindowTable)
	maxPixelTable = 0
	TestFillOrderNextN(t)
	maxPixelTable, maxWindowTable = 1<<17, 0
	TestFillOrderNextN(t)
}
