//go:build !unix

package state

import (
	"io/fs"
	"os"

	"github.com/gofrs/flock"
)

// fileLock is the pack's write lock: a lock file beside it (the pack itself is replaced by
// `cache gc`), which the OS releases when the process dies.
type fileLock struct{ fl *flock.Flock }

func newFileLock(_ *os.File, path string) fileLock {
	return fileLock{fl: flock.New(path+".lock", flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))}
}

func (l *fileLock) lock() error { return l.fl.Lock() }

func (l *fileLock) unlock() { _ = l.fl.Unlock() }

func (l *fileLock) close() { _ = l.fl.Close() }

// replaced reports whether the file at path is no longer the open file fi describes.
func replaced(fi fs.FileInfo, path string) bool {
	now, err := os.Stat(path)
	return err != nil || !os.SameFile(fi, now)
}
