//go:build linux

package state

import (
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync makes f's content durable, and of its metadata what reading it back needs (its
// size), not its times.
func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
