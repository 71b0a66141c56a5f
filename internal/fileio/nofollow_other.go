//go:build !unix

package fileio

// noFollow: without O_NOFOLLOW, CreateNoFollow relies on the Lstat checks
// of the folders npusim writes (see report's run folder check).
const noFollow = 0
