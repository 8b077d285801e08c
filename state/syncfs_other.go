//go:build !linux

package state

import "os"

func syncFS(f *os.File) error { return f.Sync() }

const haveSyncFS = false

func sameDevice(a, b os.FileInfo) bool { return false }
