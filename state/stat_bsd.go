//go:build darwin || freebsd || netbsd

package state

import (
	"io/fs"
	"syscall"
)

// sysStat is the inode and change time of a file, which the stat cache checks beside size
// and mtime.
func sysStat(fi fs.FileInfo) (ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), st.Ctimespec.Nano()
	}
	return 0, 0
}
