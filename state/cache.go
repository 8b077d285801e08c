package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrCorrupt is wrapped by cache errors about a blob whose content no longer matches the
// sha256 it is stored under.
var ErrCorrupt = errors.New("cache blob does not match its sha256")

// Cache is the content-addressed output cache: blobs/ab/abcdef... hold output files by sha256,
// index/<input hash>.json remembers which record an input hash produced. Blobs are copies,
// never hard links, so editing an output in place cannot corrupt the cache, and they are
// verified by hash before use. Safe for concurrent use by many goroutines and processes: every
// file appears by atomic rename.
type Cache struct {
	dir    string
	rename func(oldpath, newpath string) error // os.Rename; tests make it fail across devices
}

// OpenCache opens (creating) the cache in dir.
func OpenCache(dir string) (*Cache, error) {
	for _, sub := range []string{"blobs", "index"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("opening the cache: %w", err)
		}
	}
	return &Cache{dir: dir, rename: os.Rename}, nil
}

func (c *Cache) blobPath(sha string) string {
	return filepath.Join(c.dir, "blobs", sha[:2], sha)
}

func (c *Cache) indexPath(inputHash string) string {
	return filepath.Join(c.dir, "index", inputHash+".json")
}

// Put copies file into the cache and returns its sha256 and size. A blob already present is
// not copied again.
func (c *Cache) Put(file string) (sha string, size int64, err error) {
	src, err := os.Open(file)
	if err != nil {
		return "", 0, fmt.Errorf("caching: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "blobs"), "tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("caching %s: %w", file, err)
	}
	sha, size, err = copyHashed(tmp, src)
	if err != nil {
		discard(tmp)
		return "", 0, fmt.Errorf("caching %s: %w", file, err)
	}
	return sha, size, c.store(tmp, sha)
}

// PutKnown is Put for a file whose sha256 the caller already has: nothing is read when the
// blob is present, and the copy is checked against sha as it is made.
func (c *Cache) PutKnown(file, sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("caching %s: %q is not a hex sha256", file, sha)
	}
	if c.Has(sha) {
		return nil
	}
	src, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("caching: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "blobs"), "tmp-*")
	if err != nil {
		return fmt.Errorf("caching %s: %w", file, err)
	}
	got, _, err := copyHashed(tmp, src)
	if err == nil && got != sha {
		err = fmt.Errorf("its sha256 is %s, not %s (did it change?)", got, sha)
	}
	if err != nil {
		discard(tmp)
		return fmt.Errorf("caching %s: %w", file, err)
	}
	return c.store(tmp, sha)
}

// store moves a written, still open temporary blob to its place, unless the blob is there.
func (c *Cache) store(tmp *os.File, sha string) error {
	if c.Has(sha) {
		discard(tmp)
		return nil
	}
	if err := commit(tmp, 0o444, c.blobPath(sha)); err != nil {
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	return nil
}

// Has reports whether a blob for sha is present (not whether it is intact; Restore checks).
func (c *Cache) Has(sha string) bool {
	if !isSHA256(sha) {
		return false
	}
	fi, err := os.Stat(c.blobPath(sha))
	return err == nil && fi.Mode().IsRegular()
}

// Restore copies the blob sha to dst, checking the hash as it copies; dst appears whole or
// not at all, and its folders are made. A corrupt blob is removed and the error wraps
// ErrCorrupt; a missing one wraps fs.ErrNotExist.
func (c *Cache) Restore(sha, dst string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("restoring %s: %q is not a hex sha256", dst, sha)
	}
	src, err := os.Open(c.blobPath(sha))
	if err != nil {
		return fmt.Errorf("restoring %s from the cache: %w", dst, err)
	}
	defer src.Close()
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("restoring %s: %w", dst, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return fmt.Errorf("restoring %s: %w", dst, err)
	}
	got, _, err := copyHashed(tmp, src)
	if err != nil {
		discard(tmp)
		return fmt.Errorf("restoring %s: %w", dst, err)
	}
	if got != sha {
		discard(tmp)
		src.Close()
		os.Remove(c.blobPath(sha)) // a cache: the next Put stores it again
		return fmt.Errorf("restoring %s: %w: blob %s now hashes to %s", dst, ErrCorrupt, sha, got)
	}
	if err := commit(tmp, 0o644, dst); err != nil {
		return fmt.Errorf("restoring %s: %w", dst, err)
	}
	return nil
}

// verify checks that blob sha is present, size bytes long and intact.
func (c *Cache) verify(sha string, size int64) bool {
	f, err := os.Open(c.blobPath(sha))
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
		return false
	}
	got, _, err := copyHashed(io.Discard, f)
	return err == nil && got == sha
}

type indexFile struct {
	Record  *addrRecord `json:"record"`
	Version int         `json:"version"`
}

// Index remembers that inputHash produced r, in one small file written atomically.
func (c *Cache) Index(inputHash string, r *Record) error {
	if !isSHA256(inputHash) {
		return fmt.Errorf("cache index: %q is not a hex sha256", inputHash)
	}
	if r == nil {
		return errors.New("cache index: nil record")
	}
	if why := checkRecord(r); why != "" {
		return fmt.Errorf("cache index: record %s %s", r.Addr, why)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(indexFile{Record: &addrRecord{Addr: r.Addr, diskRecord: *recordToDisk(r)}, Version: Version}); err != nil {
		return fmt.Errorf("cache index: %w", err)
	}
	if err := WriteFileAtomic(c.indexPath(inputHash), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("cache index: %w", err)
	}
	return nil
}

// Lookup returns the record inputHash produced, only if its output blob (if it has one) is
// present and intact (read and hashed: Lookup costs what the output weighs).
func (c *Cache) Lookup(inputHash string) (*Record, bool) {
	if !isSHA256(inputHash) {
		return nil, false
	}
	data, err := os.ReadFile(c.indexPath(inputHash))
	if err != nil {
		return nil, false
	}
	var ix indexFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if dec.Decode(&ix) != nil || ix.Version != Version || ix.Record == nil {
		return nil, false
	}
	r, why := recordFromDisk(ix.Record.Addr, &ix.Record.diskRecord)
	if why != "" {
		return nil, false
	}
	if r.Output != nil && !c.verify(r.Output.SHA256, r.Output.Size) {
		return nil, false
	}
	return r, true
}

// Stash moves file into the cache (a delete that can be undone) and returns its sha256: a
// rename when the cache is on the same file system, else a copy and a remove.
func (c *Cache) Stash(file string) (sha string, err error) {
	fi, err := os.Lstat(file)
	if err != nil {
		return "", fmt.Errorf("stashing: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("stashing %s: not a regular file", file)
	}
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "blobs"), "tmp-*")
	if err != nil {
		return "", fmt.Errorf("stashing %s: %w", file, err)
	}
	name := tmp.Name()
	tmp.Close()
	if err := c.rename(file, name); err != nil {
		os.Remove(name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("stashing: %w", err)
		}
		// Another file system: copy, then remove the original.
		if sha, _, err = c.Put(file); err != nil {
			return "", fmt.Errorf("stashing: %w", err)
		}
		if err := os.Remove(file); err != nil {
			return "", fmt.Errorf("stashing: %w", err)
		}
		return sha, syncDir(filepath.Dir(file))
	}
	// The file is ours now: hash it where it is and give it its name.
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("stashing %s: %w", file, err)
	}
	sha, _, err = copyHashed(io.Discard, f)
	if err != nil {
		f.Close()
		return "", fmt.Errorf("stashing %s: %w (it is kept as %s)", file, err, name)
	}
	if err := c.store(f, sha); err != nil {
		return "", fmt.Errorf("stashing %s: %w", file, err)
	}
	return sha, syncDir(filepath.Dir(file))
}

// commit makes a written, still open temporary file durable and renames it to dst.
func commit(tmp *os.File, perm fs.FileMode, dst string) error {
	name := tmp.Name()
	err := tmp.Chmod(perm)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o755)
	}
	if err == nil {
		err = os.Rename(name, dst)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// discard closes and removes a temporary file that is not wanted.
func discard(tmp *os.File) {
	tmp.Close()
	os.Remove(tmp.Name())
}

// copyHashed copies src to dst and returns the sha256 and length of what went through.
func copyHashed(dst io.Writer, src io.Reader) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 256<<10)
	// Hide WriterTo/ReaderFrom so every byte goes through the hash.
	n, err := io.CopyBuffer(io.MultiWriter(dst, h), struct{ io.Reader }{src}, buf)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
