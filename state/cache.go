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
	"sync"
	"sync/atomic"
)

// ErrCorrupt is wrapped by cache errors about a blob whose content no longer matches the
// sha256 it is stored under.
var ErrCorrupt = errors.New("cache blob does not match its sha256")

// Cache is the content-addressed output cache: blobs/ab/abcdef... hold output files by sha256,
// pack holds small blobs given as bytes (pack.go), and index.jsonl, an append-only log,
// remembers which record each input hash produced (the last line for a hash wins). Blobs are
// copies, never hard links, so editing an output in place cannot corrupt the cache, and they
// are verified by hash before use. Safe for concurrent use by many goroutines and processes:
// blob files appear by atomic rename, packed blobs and index lines by appends (the pack's
// under a file lock), and a torn last record or line is ignored.
//
// The index is a log and small blobs are packed, rather than a file each, because creating a
// file costs far more than appending to one on common file systems (0.65 ms against 0.05 ms
// on ext4 here), and apply indexes and keeps every generation.
type Cache struct {
	dir    string
	rename func(oldpath, newpath string) error // os.Rename; tests make it fail across devices

	pack *pack // small blobs, appended to one file (pack.go)
	// tracking: a journal syncs the blobs taken (Journal.SyncsBlobs); takenFiles are the
	// blob files taken since its last flush
	tracking   atomic.Bool
	takenMu    sync.Mutex
	takenFiles []string
	// namesSynced: the cache's folder and its parent were synced once (syncTaken's own)
	namesSynced bool

	mu    sync.Mutex
	log   *os.File                     // index.jsonl opened for appending, on first Index
	index map[string][]json.RawMessage // input hash -> its index lines, oldest first, loaded on first Lookup
	size  int64                        // bytes of index.jsonl read into index
}

// OpenCache opens (creating) the cache in dir.
func OpenCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, fmt.Errorf("opening the cache: %w", err)
	}
	return &Cache{dir: dir, rename: os.Rename, pack: newPack(dir)}, nil
}

// Dir is the cache's folder.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) blobPath(sha string) string {
	return filepath.Join(c.dir, "blobs", sha[:2], sha)
}

func (c *Cache) indexPath() string {
	return filepath.Join(c.dir, "index.jsonl")
}

// Put copies file into the cache and returns its sha256 and size. A blob already present is
// kept as it is (the copy made to hash the file is dropped).
func (c *Cache) Put(file string) (sha string, size int64, err error) {
	return c.put(file, false)
}

func (c *Cache) put(file string, durable bool) (sha string, size int64, err error) {
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
	return sha, size, c.store(tmp, sha, durable)
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
	return c.store(tmp, sha, false)
}

// store moves a written, still open temporary blob to its place, unless the blob is there.
// durable syncs the blob and its folder: for a blob that is the only copy of its content.
func (c *Cache) store(tmp *os.File, sha string, durable bool) error {
	if c.Has(sha) {
		discard(tmp)
		if durable { // the copy there may not be durable yet
			return c.SyncBlob(sha)
		}
		return nil
	}
	if err := commit(tmp, 0o444, c.blobPath(sha), durable); err != nil {
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	return nil
}

// Has reports whether a blob for sha is present, packed or a file of its own (not whether it
// is intact; Restore checks).
func (c *Cache) Has(sha string) bool {
	if !isSHA256(sha) {
		return false
	}
	if _, ok := c.pack.entry(sha); ok {
		return true
	}
	fi, err := os.Stat(c.blobPath(sha))
	return err == nil && fi.Mode().IsRegular()
}

// Place copies the blob sha to dst like Restore, without syncing dst: for an output whose
// blob is durable, so a power cut that loses dst costs a free restore, not a generation.
func (c *Cache) Place(sha, dst string) error { return c.restore(sha, dst, false) }

// Restore copies the blob sha to dst, checking the hash as it copies; dst appears whole or
// not at all, and its folders are made. A corrupt blob is removed and the error wraps
// ErrCorrupt; a missing one wraps fs.ErrNotExist.
func (c *Cache) Restore(sha, dst string) error { return c.restore(sha, dst, true) }

func (c *Cache) restore(sha, dst string, durable bool) error {
	if !isSHA256(sha) {
		return fmt.Errorf("restoring %s: %q is not a hex sha256", dst, sha)
	}
	data, packed, err := c.pack.read(sha) // checked as it is read
	if packed {
		if err != nil {
			return fmt.Errorf("restoring %s from the cache: %w", dst, err)
		}
		tmp, err := createBeside(dst)
		if err == nil {
			if _, err = tmp.Write(data); err != nil {
				discard(tmp)
			}
		}
		if err == nil {
			err = commit(tmp, 0o644, dst, durable)
		}
		if err != nil {
			return fmt.Errorf("restoring %s: %w", dst, err)
		}
		return nil
	}
	src, err := os.Open(c.blobPath(sha))
	if err != nil {
		return fmt.Errorf("restoring %s from the cache: %w", dst, err)
	}
	defer src.Close()
	tmp, err := createBeside(dst)
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
	if err := commit(tmp, 0o644, dst, durable); err != nil {
		return fmt.Errorf("restoring %s: %w", dst, err)
	}
	return nil
}

// createBeside creates a temporary file in dst's folder, making the folder if it is missing.
func createBeside(dst string) (*os.File, error) {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if errors.Is(err, fs.ErrNotExist) { // the folder is missing: make it (a stat saved otherwise)
		if err = os.MkdirAll(dir, 0o755); err == nil {
			tmp, err = os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
		}
	}
	return tmp, err
}

// verify checks that blob sha is present, size bytes long and intact.
func (c *Cache) verify(sha string, size int64) bool {
	f, got, packed, err := c.openBlob(sha)
	if err != nil {
		return false
	}
	defer f.Close()
	if got != size || packed { // a packed blob is checked as it is opened
		return got == size
	}
	sum, _, err := copyHashed(io.Discard, f)
	return err == nil && sum == sha
}

type indexLine struct {
	InputHash string      `json:"input_hash"`
	Record    *addrRecord `json:"record"`
	Version   int         `json:"version"`
}

// Index remembers that inputHash produced r: one line appended to the index log.
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
	if err := enc.Encode(indexLine{InputHash: inputHash, Record: &addrRecord{Addr: r.Addr, diskRecord: *recordToDisk(r)}, Version: Version}); err != nil {
		return fmt.Errorf("cache index: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		f, err := os.OpenFile(c.indexPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("cache index: %w", err)
		}
		c.log = f
	}
	// one write of a whole line: O_APPEND keeps lines of concurrent processes apart. No fsync:
	// the journal is the durable record; a lost index line only means a cache miss.
	if _, err := c.log.Write(b.Bytes()); err != nil {
		return fmt.Errorf("cache index: %w", err)
	}
	return nil
}

// Close releases the index log and the pack. The cache stays usable: it reopens them when
// needed.
func (c *Cache) Close() error {
	c.pack.close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		return nil
	}
	err := c.log.Close()
	c.log = nil
	return err
}

// Lookup returns the record inputHash produced, only if its output blob (if it has one) is
// present and intact (read and hashed: Lookup costs what the output weighs).
func (c *Cache) Lookup(inputHash string) (*Record, bool) {
	if !isSHA256(inputHash) {
		return nil, false
	}
	raw, ok := c.lookupLine(inputHash)
	if !ok {
		return nil, false
	}
	var rec addrRecord
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&rec) != nil {
		return nil, false
	}
	r, why := recordFromDisk(rec.Addr, &rec.diskRecord)
	if why != "" {
		return nil, false
	}
	if r.Output != nil && !c.verify(r.Output.SHA256, r.Output.Size) {
		return nil, false
	}
	return r, true
}

// lookupLine finds the newest index line for an input hash, reading what the log gained since
// the last look (another process may be appending), and returns its record.
func (c *Cache) lookupLine(inputHash string) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.index == nil {
		c.index = map[string][]json.RawMessage{}
	}
	f, err := os.Open(c.indexPath())
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > c.size {
		if _, err := f.Seek(c.size, io.SeekStart); err == nil {
			c.size += c.readIndex(f)
		}
	}
	lines := c.index[inputHash]
	for i := len(lines) - 1; i >= 0; i-- { // the newest line that decodes wins
		if l, ok := decodeIndexLine(lines[i]); ok {
			return l.Record, true
		}
	}
	return nil, false
}

// readIndex adds the whole lines of r to the index and returns how many bytes they took: a
// torn last line (a crash mid-append, or an append under way) is left for a later read.
// A line is decoded in full only when looked up: a plan looks up a few of many lines.
func (c *Cache) readIndex(r io.Reader) int64 {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0
	}
	var used int64
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			break
		}
		line := data[:nl]
		data = data[nl+1:]
		used += int64(nl + 1)
		hash, ok := indexLineHash(line)
		if !ok {
			l, valid := decodeIndexLine(line)
			if !valid {
				continue // a damaged line costs only its cache entry
			}
			hash = l.InputHash
		}
		c.index[hash] = append(c.index[hash], line)
	}
	return used
}

// indexLinePrefix starts every line Index writes: the input hash is the first field.
const indexLinePrefix = `{"input_hash":"`

// indexLineHash reads the input hash at the start of a line Index wrote.
func indexLineHash(line []byte) (string, bool) {
	n := len(indexLinePrefix)
	if len(line) < n+65 || string(line[:n]) != indexLinePrefix || line[n+64] != '"' {
		return "", false
	}
	hash := string(line[n : n+64])
	return hash, isSHA256(hash)
}

type rawIndexLine struct {
	InputHash string          `json:"input_hash"`
	Record    json.RawMessage `json:"record"`
	Version   int             `json:"version"`
}

// decodeIndexLine decodes an index line, reporting whether it is one of this version.
func decodeIndexLine(line []byte) (rawIndexLine, bool) {
	var l rawIndexLine
	if json.Unmarshal(line, &l) != nil || l.Version != Version || !isSHA256(l.InputHash) || len(l.Record) == 0 {
		return l, false
	}
	return l, true
}

// Stash moves file into the cache (a delete that can be undone) and returns its sha256: a
// rename when the cache is on the same file system, else a copy and a remove. Unlike the
// cache's other blobs, a stashed one is made durable before the file's removal is: it is the
// only copy left.
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
		if sha, _, err = c.put(file, true); err != nil {
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
	if err := c.store(f, sha, true); err != nil {
		return "", fmt.Errorf("stashing %s: %w", file, err)
	}
	return sha, syncDir(filepath.Dir(file))
}

// commit makes a written, still open temporary file durable and renames it to dst.
func commit(tmp *os.File, perm fs.FileMode, dst string, durable bool) error {
	name := tmp.Name()
	err := tmp.Chmod(perm)
	if err == nil && durable {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, dst)
		if errors.Is(err, fs.ErrNotExist) { // dst's folder is missing: make it (a stat saved otherwise)
			if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
				err = os.Rename(name, dst)
			}
		}
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	if !durable {
		return nil
	}
	return syncDir(filepath.Dir(dst))
}

// discard closes and removes a temporary file that is not wanted.
func discard(tmp *os.File) {
	tmp.Close()
	os.Remove(tmp.Name())
}

// copyHashed copies src to dst and returns the sha256 and length of what went through.
// copyBuffers are the copy buffers of copyHashed, reused: apply copies every output.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyHashed(dst io.Writer, src io.Reader) (string, int64, error) {
	h := sha256.New()
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	// Hide WriterTo/ReaderFrom so every byte goes through the hash.
	n, err := io.CopyBuffer(io.MultiWriter(dst, h), struct{ io.Reader }{src}, buf)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
