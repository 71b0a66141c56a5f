package fileio

import (
	"io"
)

// File is a file a run writes.
type File interface {
	io.Writer
	Truncate(size int64) error
	Close() error
}

// Create creates (or truncates) the file at path for writing, refusing a
// symbolic link there (see CreateNoFollow). It is a
// variable so that tests can make writes fail as on a full disk.
var Create = func(path string) (File, error) { return CreateNoFollow(path) }
