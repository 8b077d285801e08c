package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFileAtomic replaces path with data so that a reader (or a crash) sees either the old
// file or the new one, never a part: a temporary file in the same folder, fsync, rename, fsync
// of the folder. Missing folders are made.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, data, perm, true)
}

// WriteRecordAtomic is WriteFileAtomic without the fsyncs, for a file that only saves work
// and is checked when read (plan's records): a reader sees the old file or the new one, but a
// power cut may leave the old one, none, or one that does not read back (empty, or zeros),
// which its reader takes for no record.
func WriteRecordAtomic(path string, data []byte, perm fs.FileMode) error {
	return writeAtomic(path, data, perm, false)
}

// writeAtomic writes through a temporary file renamed into place, so a reader never sees a
// partial file. durable adds the fsyncs that make it survive a power cut; the cache's own
// files skip them (a torn cache file is found by its hash and ignored), which keeps a
// generation's bookkeeping to the one fsync of the journal.
func writeAtomic(path string, data []byte, perm fs.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	if !durable {
		return nil
	}
	return syncDir(dir)
}

// RenameIntoPlace moves the finished file tmp to dst durably: fsync tmp, make dst's folder,
// rename, fsync the folder. tmp must be on the same file system as dst (write it in dst's
// folder); on failure tmp is left for the caller to remove.
func RenameIntoPlace(tmp, dst string) error {
	f, err := os.Open(tmp) // fsync works on a read-only descriptor
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be opened for sync there; NTFS journals renames
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}
