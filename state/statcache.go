package state

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StatCache remembers the sha256 of files by path and stat (size, mtime, inode, change time),
// so a file that has not changed is never read again: a 1 GiB reference is hashed once, then
// every plan only stats it. It is only a cache: a missing or unreadable cache file is an empty
// cache. Safe for concurrent use.
//
// Like git's index, it does not trust a hash taken while the file's mtime was too recent to
// tell a later same-size write apart (the "racy" case): such a file is hashed again next time.
type StatCache struct {
	path string
	open func(name string) (*os.File, error) // os.Open; tests count reads
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]statEntry
	used    map[string]bool // asked about since opened
	dirty   bool
}

type statEntry struct {
	Ctime  int64 // unix ns
	Inode  uint64
	Mtime  int64 // unix ns
	SHA256 string
	Size   int64
}

// statHeader is the first line of the cache file. The file is text, one entry a line:
// "size mtime ctime inode sha256 path" (numbers in decimal, the path to the end of the
// line), read and written without a JSON decoder: a plan that finds nothing to do reads
// it whole, and 10,000 entries took 87 ms as JSON.
const statHeader = "genform-statcache-v2\n"

// Racy windows: how long after a file's mtime a hash is not trusted. File systems that keep
// whole seconds (mtime with no fraction) need two; nanosecond ones tick at least every 10 ms.
const (
	racyCoarse = 2 * time.Second
	racyFine   = 50 * time.Millisecond
)

// Path is the file the cache is kept in.
func (s *StatCache) Path() string { return s.path }

// OpenStatCache loads the stat cache kept at path (which Save writes).
func OpenStatCache(path string) (*StatCache, error) {
	s := &StatCache{path: path, open: os.Open, now: time.Now, entries: map[string]statEntry{}, used: map[string]bool{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return s, nil
	}
	entries, ok := parseStatCache(data)
	if !ok {
		s.dirty = true // rewrite what we could not read
		return s, nil
	}
	s.entries = entries
	return s, nil
}

// parseStatCache reads the cache file's entries; ok is false when it is not one.
func parseStatCache(data []byte) (map[string]statEntry, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(statHeader))
	if !ok {
		return nil, false
	}
	entries := make(map[string]statEntry, bytes.Count(rest, []byte{'\n'}))
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		if !found {
			return nil, false // cut short
		}
		rest = after
		var f [5][]byte
		for i := range f {
			var sep bool
			f[i], line, sep = bytes.Cut(line, []byte{' '})
			if !sep {
				return nil, false
			}
		}
		size, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		mtime, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		ctime, err3 := strconv.ParseInt(string(f[2]), 10, 64)
		inode, err4 := strconv.ParseUint(string(f[3]), 10, 64)
		sha := string(f[4])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || !isSHA256(sha) || len(line) == 0 {
			return nil, false
		}
		entries[string(line)] = statEntry{Size: size, Mtime: mtime, Ctime: ctime, Inode: inode, SHA256: sha}
	}
	return entries, true
}

// formatStatCache is the cache file's contents, entries sorted by path.
func formatStatCache(entries map[string]statEntry) []byte {
	b := make([]byte, 0, len(statHeader)+len(entries)*160)
	b = append(b, statHeader...)
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		e := entries[k]
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, e.Mtime, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, e.Ctime, 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, e.Inode, 10)
		b = append(b, ' ')
		b = append(b, e.SHA256...)
		b = append(b, ' ')
		b = append(b, k...)
		b = append(b, '\n')
	}
	return b
}

func statOf(fi fs.FileInfo) statEntry {
	ino, ctime := sysStat(fi)
	return statEntry{Ctime: ctime, Inode: ino, Mtime: fi.ModTime().UnixNano(), Size: fi.Size()}
}

// same reports whether e was taken of the file whose stat is now st.
func (e statEntry) same(st statEntry) bool {
	return e.Size == st.Size && e.Mtime == st.Mtime && e.Inode == st.Inode && e.Ctime == st.Ctime
}

// stat stats path and returns the cached entry for it, if any.
func (s *StatCache) stat(path string) (key string, st, cached statEntry, ok bool, err error) {
	key = filepath.Clean(path)
	fi, err := os.Stat(path)
	if err != nil {
		s.forget(key)
		return key, st, cached, false, err
	}
	if !fi.Mode().IsRegular() {
		return key, st, cached, false, fmt.Errorf("hashing %s: not a regular file", path)
	}
	st = statOf(fi)
	s.mu.Lock()
	cached, ok = s.entries[key]
	s.used[key] = true
	s.mu.Unlock()
	return key, st, cached, ok, nil
}

// Hash returns the sha256 and size of the file at path: from the cache when its stat has not
// changed, else by reading it (and remembering the answer).
func (s *StatCache) Hash(path string) (sha string, size int64, err error) {
	key, st, cached, ok, err := s.stat(path)
	if err != nil {
		return "", 0, err
	}
	if ok && cached.same(st) {
		return cached.SHA256, st.Size, nil
	}
	start := s.now()
	f, err := s.open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hashing: %w", err)
	}
	defer f.Close()
	sha, size, err = copyHashed(io.Discard, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	after := statOf(fi)
	// Remember only a hash of a file that held still while it was read and whose mtime is
	// old enough that a later write would show in it.
	if after.same(st) && size == st.Size && !racy(st.Mtime, start) {
		after.SHA256 = sha
		s.put(key, after)
	}
	return sha, size, nil
}

func racy(mtime int64, hashedAt time.Time) bool {
	window := racyFine
	if mtime%int64(time.Second) == 0 {
		window = racyCoarse
	}
	return mtime > hashedAt.Add(-window).UnixNano()
}

// Stat stats path (reading nothing) and reports whether the cached hash still holds for it;
// sha is that hash when unchanged. A path never hashed is not unchanged.
func (s *StatCache) Stat(path string) (size int64, unchanged bool, sha string, err error) {
	_, st, cached, ok, err := s.stat(path)
	if err != nil {
		return 0, false, "", err
	}
	if ok && cached.same(st) {
		return st.Size, true, cached.SHA256, nil
	}
	return st.Size, false, "", nil
}

// Remember records that the file at path, as it is now, hashes to sha: for a file the caller
// has just written itself (an output), so the next plan need not read it.
func (s *StatCache) Remember(path, sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("stat cache: %q is not a hex sha256", sha)
	}
	key, st, _, _, err := s.stat(path)
	if err != nil {
		return err
	}
	st.SHA256 = sha
	s.put(key, st)
	return nil
}

func (s *StatCache) put(key string, e statEntry) {
	if strings.ContainsRune(key, '\n') {
		return // the file format keeps one entry a line
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[key]; ok && old == e {
		return
	}
	s.entries[key] = e
	s.dirty = true
}

func (s *StatCache) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[key]; ok {
		delete(s.entries, key)
		s.dirty = true
	}
}

// Changed reports whether the cache learned anything since it was opened or saved (Save
// would write it).
func (s *StatCache) Changed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirty
}

// Save writes the cache (atomically) if anything changed since it was opened or saved. Entries
// of files that are gone are dropped (those not asked about in this run are checked with a
// stat), so the cache does not grow with files long deleted.
func (s *StatCache) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.entries {
		if s.used[key] {
			continue
		}
		if _, err := os.Lstat(key); errors.Is(err, fs.ErrNotExist) {
			delete(s.entries, key)
			s.dirty = true
		}
		s.used[key] = true // checked: not again at the next Save
	}
	if !s.dirty {
		return nil
	}
	if err := WriteFileAtomic(s.path, formatStatCache(s.entries), 0o644); err != nil {
		return fmt.Errorf("saving the stat cache: %w", err)
	}
	s.dirty = false
	return nil
}
