package state

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The pack: small blobs live in one append-only file, cache/pack, instead of a file each.
// Creating a file costs an inode allocation, which on ext4 scans for recently deleted inodes
// (often more than the rest of a generation's bookkeeping); appending to an open file costs
// a write. Each record is
//
//	GFPK <sha256> <size, 16 hex digits> <written at, Unix ns, 16 hex digits>\n
//	<size bytes of content>
//	 <sha256>\n
//
// The trailer repeats the sha256 so that a record is taken only once it is whole: a record cut
// short by a crash (or still being written by another process) is skipped by readers and
// truncated by the next writer. Writers hold an exclusive lock on the pack (flock) from the
// check of its end to the end of their write; readers take none: they read whole records only
// and check every blob's sha256 before use. `cache gc` rewrites the pack without the records
// it drops (a new file renamed over the old, under the lock); a process holding the old file
// open keeps reading it, and finds the new one at its next write or miss.

// PackMax is the size up to which a blob given as bytes is packed rather than a file of its
// own. BenchmarkPackVsFiles (keep a blob, then place it as an output) measured the pack at
// about half the file's time at 4-64 KiB, two thirds at 256 KiB, even at 1 MiB and behind at
// 4 MiB (its copies through memory outweigh the file's creation by then).
const PackMax = 256 << 10

// packCopyMax: a record up to this size is written with one write (its parts copied into one
// buffer); a larger one with three.
const packCopyMax = 64 << 10

const (
	packMagic   = "GFPK "
	packHeadLen = len(packMagic) + 64 + 1 + 16 + 1 + 16 + 1
	packTailLen = 1 + 64 + 1
)

// packEntry is where a packed blob's content is.
type packEntry struct {
	off, size int64
	at        time.Time // when it was written: `cache gc` keeps recent blobs
}

// pack is the cache's pack file, opened on first use.
type pack struct {
	path string

	mu   sync.Mutex
	f    *os.File // nil until opened (or when there is no pack yet)
	lock fileLock
	end  int64 // the end of the last whole record read
	at   map[string]packEntry
	// dirSynced: the pack's folder was synced since the pack was opened. The pack may have
	// been created by a process that died before syncing its name: the first sync makes sure.
	dirSynced bool
	// taken: the file up to here holds blobs taken for receipts (put's taken), which
	// syncTaken makes durable; synced: the file is durable up to here. Both are of the
	// open file.
	taken, synced int64
}

func newPack(dir string) *pack {
	return &pack{path: filepath.Join(dir, "pack"), at: map[string]packEntry{}}
}

// openLocked opens the pack if it exists (create: or creates it); the caller holds p.mu.
func (p *pack) openLocked(create bool) error {
	if p.f != nil {
		return nil
	}
	f, err := os.OpenFile(p.path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		f, err = os.OpenFile(p.path, os.O_RDWR|os.O_CREATE, 0o644)
	case errors.Is(err, fs.ErrPermission) && !create: // a cache that is only read
		f, err = os.Open(p.path)
	}
	if err != nil {
		return err
	}
	p.f, p.lock, p.end, p.at, p.dirSynced = f, newFileLock(f, p.path), 0, map[string]packEntry{}, false
	p.taken, p.synced = 0, 0
	return nil
}

// closeLocked forgets the open pack; the caller holds p.mu.
func (p *pack) closeLocked() {
	if p.f != nil {
		p.lock.close()
		p.f.Close()
	}
	p.f, p.end, p.at = nil, 0, map[string]packEntry{}
}

func (p *pack) close() {
	p.mu.Lock()
	p.closeLocked()
	p.mu.Unlock()
}

// refreshLocked reads the records other processes appended since the last look, and reopens
// the pack if `cache gc` replaced it. It returns the file's size. The caller holds p.mu.
func (p *pack) refreshLocked() (int64, error) {
	for {
		if p.f == nil {
			if err := p.openLocked(false); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return 0, nil
				}
				return 0, err
			}
		}
		size, gone, err := p.look()
		if err != nil {
			return 0, err
		}
		if !gone {
			return size, nil
		}
		p.closeLocked()
	}
}

// look reads what was appended to the open pack since the last look; gone says the file was
// replaced (by `cache gc`) and is to be opened again. The caller holds p.mu.
func (p *pack) look() (size int64, gone bool, err error) {
	fi, err := p.f.Stat()
	if err != nil {
		return 0, false, err
	}
	if replaced(fi, p.path) {
		return 0, true, nil
	}
	if fi.Size() > p.end {
		if err := p.scan(fi.Size()); err != nil {
			return 0, false, err
		}
	}
	return fi.Size(), false, nil
}

// entry returns where blob sha is packed, looking at what others appended on a miss.
func (p *pack) entry(sha string) (packEntry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.at[sha]; ok {
		return e, true
	}
	if _, err := p.refreshLocked(); err != nil {
		return packEntry{}, false
	}
	e, ok := p.at[sha]
	return e, ok
}

// scan indexes the whole records between p.end and size; a record cut short ends the scan (a
// writer that died, or one still writing). A damaged stretch (a power cut on a file system
// without a journal) is skipped up to the next whole record. Only a read error is an error.
func (p *pack) scan(size int64) error {
	off := p.end
	buf := make([]byte, packTailLen+packHeadLen)
	for off+int64(packHeadLen) <= size {
		head := buf[packTailLen:]
		if _, err := p.f.ReadAt(head, off); err != nil {
			return fmt.Errorf("reading the pack: %w", err)
		}
		sha, n, at, ok := parsePackHead(head)
		end := off + int64(packHeadLen) + n + int64(packTailLen)
		if ok && end > size {
			return nil // cut short, or still being written
		}
		if ok {
			if _, err := p.f.ReadAt(buf[:packTailLen], end-int64(packTailLen)); err != nil {
				return fmt.Errorf("reading the pack: %w", err)
			}
			ok = validPackTail(buf[:packTailLen], sha)
		}
		if !ok {
			next, found, err := p.nextMagic(off+1, size)
			if err != nil || !found {
				return err
			}
			off = next
			continue
		}
		p.at[sha] = packEntry{off: off + int64(packHeadLen), size: n, at: at}
		off = end
		p.end = end
	}
	return nil
}

// nextMagic finds the next record header at or after from.
func (p *pack) nextMagic(from, size int64) (int64, bool, error) {
	buf := make([]byte, 1<<20)
	for from < size {
		n, err := p.f.ReadAt(buf[:min(int64(len(buf)), size-from)], from)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, false, fmt.Errorf("reading the pack: %w", err)
		}
		if i := bytes.Index(buf[:n], []byte(packMagic)); i >= 0 {
			return from + int64(i), true, nil
		}
		if n < len(packMagic) {
			return 0, false, nil
		}
		from += int64(n - len(packMagic) + 1)
	}
	return 0, false, nil
}

func packHead(sha string, size int64, at time.Time) []byte {
	return fmt.Appendf(nil, "%s%s %016x %016x\n", packMagic, sha, size, at.UnixNano())
}

func packTail(sha string) []byte { return []byte(" " + sha + "\n") }

func parsePackHead(h []byte) (sha string, size int64, at time.Time, ok bool) {
	if len(h) < packHeadLen || string(h[:len(packMagic)]) != packMagic {
		return "", 0, time.Time{}, false
	}
	rest := h[len(packMagic):packHeadLen]
	sha = string(rest[:64])
	if !isSHA256(sha) || rest[64] != ' ' || rest[81] != ' ' || rest[98] != '\n' {
		return "", 0, time.Time{}, false
	}
	n, err1 := strconv.ParseUint(string(rest[65:81]), 16, 63)
	ns, err2 := strconv.ParseUint(string(rest[82:98]), 16, 64)
	if err1 != nil || err2 != nil {
		return "", 0, time.Time{}, false
	}
	return sha, int64(n), time.Unix(0, int64(ns)), true
}

func validPackTail(t []byte, sha string) bool {
	return len(t) == packTailLen && t[0] == ' ' && string(t[1:65]) == sha && t[65] == '\n'
}

// read returns the content of packed blob sha, checked against its sha256. ok is false when
// the pack has no such blob; a blob that no longer matches wraps ErrCorrupt (and is forgotten
// by this process, so that the next put writes it again).
func (p *pack) read(sha string) (data []byte, ok bool, err error) {
	p.mu.Lock()
	e, ok := p.at[sha]
	f := p.f
	if !ok {
		if _, err := p.refreshLocked(); err == nil {
			e, ok = p.at[sha]
			f = p.f
		}
	}
	if !ok {
		p.mu.Unlock()
		return nil, false, nil
	}
	data = make([]byte, e.size)
	_, err = f.ReadAt(data, e.off)
	p.mu.Unlock()
	if err != nil {
		return nil, true, fmt.Errorf("reading packed blob %s: %w", sha, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		p.mu.Lock()
		if cur, still := p.at[sha]; still && cur == e {
			delete(p.at, sha)
		}
		p.mu.Unlock()
		return nil, true, fmt.Errorf("%w: packed blob %s hashes to %x", ErrCorrupt, sha, sum)
	}
	return data, true, nil
}

// put appends data as blob sha unless an intact copy is packed already. sha must be data's.
// taken: the blob is a receipt's, for syncTaken to make durable.
func (p *pack) put(sha string, data []byte, taken bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.lockForWrite(); err != nil {
		return fmt.Errorf("packing blob %s: %w", sha, err)
	}
	defer p.lock.unlock()
	if e, ok := p.at[sha]; !ok || !p.intact(sha, e) {
		now := time.Now()
		if err := p.writeRecord(sha, data, now); err != nil {
			_ = p.f.Truncate(p.end) // leave no torn record behind
			return fmt.Errorf("packing blob %s: %w", sha, err)
		}
		p.at[sha] = packEntry{off: p.end + int64(packHeadLen), size: int64(len(data)), at: now}
		p.end += int64(packHeadLen + len(data) + packTailLen)
	}
	if taken { // the copy found may be as new as this one: up to the end either way
		p.taken = p.end
	}
	return nil
}

// writeRecord writes a record at the end of the pack: small ones in one write, larger ones in
// three (no copy of the content), the trailer last either way.
func (p *pack) writeRecord(sha string, data []byte, at time.Time) error {
	head, tail := packHead(sha, int64(len(data)), at), packTail(sha)
	if len(data) <= packCopyMax {
		rec := make([]byte, 0, len(head)+len(data)+len(tail))
		_, err := p.f.WriteAt(append(append(append(rec, head...), data...), tail...), p.end)
		return err
	}
	off := p.end
	for _, part := range [][]byte{head, data, tail} {
		if _, err := p.f.WriteAt(part, off); err != nil {
			return err
		}
		off += int64(len(part))
	}
	return nil
}

// lockForWrite opens (creating) the pack and takes its write lock on the current file, with
// what others appended read and a torn tail (left by a writer that died: every writer holds
// the lock) cut off. The caller holds p.mu, and unlocks p.lock unless there is an error.
func (p *pack) lockForWrite() error {
	for {
		if err := p.openLocked(true); err != nil {
			return err
		}
		if err := p.lock.lock(); err != nil {
			return err
		}
		size, gone, err := p.look()
		if err == nil && gone { // `cache gc` replaced it meanwhile: lock the new one
			p.lock.unlock()
			p.closeLocked()
			continue
		}
		if err == nil && size > p.end {
			err = p.f.Truncate(p.end)
		}
		if err != nil {
			p.lock.unlock()
			return err
		}
		return nil
	}
}

// intact reports whether the packed record e holds sha's content.
func (p *pack) intact(sha string, e packEntry) bool {
	data := make([]byte, e.size)
	if _, err := p.f.ReadAt(data, e.off); err != nil {
		return false
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) == sha
}

// entries lists the packed blobs.
func (p *pack) entries() map[string]packEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.refreshLocked(); err != nil {
		return nil
	}
	out := make(map[string]packEntry, len(p.at))
	for sha, e := range p.at {
		out[sha] = e
	}
	return out
}

// compact rewrites the pack without the blobs in drop (and without damaged or duplicate
// records): a new file, synced, renamed over the old one under its lock. It returns how many
// blobs and bytes it dropped.
func (p *pack) compact(drop map[string]bool) (int, int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := os.Stat(p.path); errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err := p.lockForWrite(); err != nil {
		return 0, 0, fmt.Errorf("compacting the pack: %w", err)
	}
	n, bytesDropped := 0, int64(0)
	for sha, e := range p.at {
		if drop[sha] {
			n++
			bytesDropped += e.size
		}
	}
	if n == 0 {
		p.lock.unlock()
		return 0, 0, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), "pack.tmp-*")
	if err == nil {
		if err = p.copyKept(tmp, drop); err != nil {
			discard(tmp)
		} else {
			err = commit(tmp, 0o644, p.path, true)
		}
	}
	// unlocked only now: writers waiting for the old file find it replaced and open the new one
	p.lock.unlock()
	if err != nil {
		return 0, 0, fmt.Errorf("compacting the pack: %w", err)
	}
	p.closeLocked()
	return n, bytesDropped, nil
}

// copyKept writes the intact records not in drop to w, oldest first.
func (p *pack) copyKept(w io.Writer, drop map[string]bool) error {
	type kept struct {
		sha string
		e   packEntry
	}
	var list []kept
	for sha, e := range p.at {
		if !drop[sha] {
			list = append(list, kept{sha, e})
		}
	}
	slices.SortFunc(list, func(a, b kept) int { return cmp.Compare(a.e.off, b.e.off) }) // oldest first
	for _, k := range list {
		data := make([]byte, k.e.size)
		if _, err := p.f.ReadAt(data, k.e.off); err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != k.sha {
			continue // rotten: a cache drops it
		}
		rec := append(packHead(k.sha, k.e.size, k.e.at), data...)
		if _, err := w.Write(append(rec, packTail(k.sha)...)); err != nil {
			return err
		}
	}
	return nil
}
