//go:build linux

package state

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncFS flushes the whole file system that holds f (syncfs(2)): every file written and
// renamed on it, not only f, in one call.
func syncFS(f *os.File) error { return unix.Syncfs(int(f.Fd())) }

const haveSyncFS = true

// sameDevice reports whether two files are on one file system.
func sameDevice(a, b os.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Dev == sb.Dev
}
