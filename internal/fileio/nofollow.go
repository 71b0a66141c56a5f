package fileio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// A run writes only into its own folder. A symbolic link planted there
// under a name npusim writes (a report, layer0/, a trace) would send the
// write elsewhere: overwrite a file, or fill a folder, outside the log
// folder. So npusim never writes through a link: files are opened with
// O_NOFOLLOW, folders are checked with Lstat, and a link is an error that
// names it.

// ErrLink is matched by the error for a symbolic link where a run writes.
var ErrLink = errors.New("is a symbolic link: npusim does not write through links (remove it)")

// LinkError is the error for a link at path.
func LinkError(path string) error { return fmt.Errorf("%s %w", path, ErrLink) }

// IsLink reports whether path is a symbolic link itself.
func IsLink(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode()&fs.ModeSymlink != 0
}

// CreateNoFollow creates (or truncates) the file at path for reading and
// writing, refusing a symbolic link there.
func CreateNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|noFollow, 0o666)
	if err != nil && IsLink(path) {
		return nil, LinkError(path)
	}
	return f, err
}

// MkdirNoFollow makes the folder path, or accepts the folder already
// there; a symbolic link there (even to a folder) is refused.
func MkdirNoFollow(path string) error {
	err := os.Mkdir(path, 0o755)
	if err == nil {
		return nil
	}
	st, lerr := os.Lstat(path)
	switch {
	case lerr == nil && st.Mode()&fs.ModeSymlink != 0:
		return LinkError(path)
	case lerr == nil && st.IsDir():
		return nil
	}
	return err
}
