// Command floor is the floor a no-op plan is compared with: it stats every file under
// DIR/out and reads and hashes DIR/genform.state.json, nothing else.
//
//	/usr/bin/time -v go run ./internal/benchproj/cmd/floor /tmp/p10k   (build it first)
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	entries, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var size int64
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(dir, "out", e.Name()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		size += fi.Size()
	}
	st, err := os.ReadFile(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d outputs, %d bytes; state %x\n", len(entries), size, sha256.Sum256(st))
}
