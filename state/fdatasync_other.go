//go:build !linux

package state

import "os"

// fdatasync makes f's content durable (fsync, with F_FULLFSYNC on macOS, as os.File.Sync does).
func fdatasync(f *os.File) error { return f.Sync() }
