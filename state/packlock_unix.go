//go:build unix

package state

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileLock is the pack's write lock: flock(2) on the pack itself, which the OS releases when
// the process dies.
type fileLock struct{ f *os.File }

func newFileLock(f *os.File, _ string) fileLock { return fileLock{f: f} }

func (l *fileLock) lock() error {
	for {
		err := unix.Flock(int(l.f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func (l *fileLock) unlock() { _ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN) }

func (l *fileLock) close() {}

// replaced reports whether the open file fi describes was renamed over (it has no name left).
func replaced(fi fs.FileInfo, _ string) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
