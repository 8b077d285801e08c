package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Journal is the apply journal: one JSON line per finished instance, made durable (fsync)
// before Append returns, so that a kill -9 a moment later loses nothing paid for. It costs
// O(1) per instance; the state file is rewritten once, when the journal is folded in (Read,
// ReadJournal, File.Apply, Write, then remove the journal).
//
// Appends from many goroutines share fsyncs (group commit): a line waits for one fsync that
// started after it was written, never for a queue of them.
type Journal struct {
	path string

	mu      sync.Mutex
	cond    sync.Cond
	f       *os.File
	written uint64 // lines written
	start   int64  // the file's size when opened
	bytes   int64  // bytes written since
	synced  uint64 // lines known to be on disk
	syncing bool
	err     error // sticky: after a failed write or fsync the journal takes no more lines

	blobs *Cache // the blobs it took before a line are made durable with it (SyncsBlobs)
}

// SyncsBlobs makes each group commit also make durable the blobs c took (Take, TakeBytes)
// before the lines it commits: a receipt then needs no sync of its own blob, and a group of
// receipts costs an fdatasync of the pack if they packed blobs, one of each blob file and of
// its folder if they took files, and one of the journal. It reports whether it does (always,
// for a file journal). Call it before the journal is used, with the only cache it serves.
func (j *Journal) SyncsBlobs(c *Cache) bool {
	if c == nil {
		return false
	}
	j.blobs = c
	c.tracking.Store(true)
	return true
}

// flush makes the journal's lines durable, and with them the blobs taken before them when
// SyncsBlobs said so. Only one flush runs at a time (Sync's syncing).
func (j *Journal) flush() error {
	if j.blobs != nil {
		if err := j.blobs.syncTaken(); err != nil {
			return err
		}
	}
	return fdatasync(j.f)
}

type journalLine struct {
	Forget    string      `json:"forget,omitempty"`
	ForgetJob string      `json:"forget_job,omitempty"`
	Job       *addrJob    `json:"job,omitempty"`
	Record    *addrRecord `json:"record,omitempty"`
}

// OpenJournal opens the journal at path for appending, creating it (and its folder) when
// missing. A torn last line left by a crash is completed if it is a whole entry and cut off
// otherwise, so new lines start on a line of their own.
func OpenJournal(path string) (*Journal, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	if err := repairTail(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("opening journal %s: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	j := &Journal{path: path, f: f}
	if fi, err := f.Stat(); err == nil {
		j.start = fi.Size()
	} else {
		j.start = -1
	}
	j.cond.L = &j.mu
	return j, nil
}

// repairTail makes the file end with a whole entry and a newline. A crash mid-write leaves a
// last line that is cut short: it is kept (completed with its newline) if it is a whole entry,
// else truncated away, as ReadJournal ignores it.
func repairTail(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start, last, err := lastLine(f, fi.Size())
	if err != nil {
		return err
	}
	text := bytes.TrimSpace(last)
	whole := len(last) > 0 && last[len(last)-1] == '\n'
	switch {
	case fi.Size() == 0:
		return nil
	case len(text) > 0 && whole:
		return nil // a whole line, readable or not: never cut away (ReadJournalLenient reports it)
	case len(text) > 0 && json.Valid(text):
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return err
		}
	default: // torn (no newline), or nothing but blanks
		if err := f.Truncate(start); err != nil {
			return err
		}
	}
	return f.Sync()
}

// lastLine returns where the file's last non-blank line starts and the file from there on.
func lastLine(f *os.File, size int64) (int64, []byte, error) {
	const chunk = 64 << 10
	var tail []byte
	end := size
	for end > 0 {
		n := min(int64(chunk), end)
		buf := make([]byte, n, n+int64(len(tail)))
		if _, err := f.ReadAt(buf, end-n); err != nil {
			return 0, nil, err
		}
		tail = append(buf, tail...)
		end -= n
		body := bytes.TrimRight(tail, " \t\r\n")
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			return end + int64(i) + 1, tail[i+1:], nil
		}
	}
	return 0, tail, nil
}

// Append writes e as one line and returns once it is on disk. Safe for concurrent use.
func (j *Journal) Append(e Entry) error {
	n, err := j.Write(e)
	if err != nil {
		return err
	}
	return j.Sync(n)
}

// Write writes e as one line without waiting for the disk and returns the line's number for
// Sync. A written line survives the death of the process at once (it is in the kernel's
// cache); it survives a power cut once Sync returns. Safe for concurrent use.
func (j *Journal) Write(e Entry) (uint64, error) {
	line, err := encodeEntry(e)
	if err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return 0, j.err
	}
	if j.f == nil {
		return 0, fmt.Errorf("journal %s is closed", j.path)
	}
	if _, err := j.f.Write(line); err != nil {
		j.err = fmt.Errorf("writing journal %s: %w", j.path, err)
		return 0, j.err
	}
	j.written++
	j.bytes += int64(len(line))
	return j.written, nil
}

// Own reports whether every line of the journal file is one this Journal wrote: the file was
// empty when opened and has grown by exactly what was written since. Folding the journal then
// need not read it back to look for lines no one can read (the lock keeps other writers out;
// a foreign line changes the size).
func (j *Journal) Own() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.start != 0 || j.err != nil {
		return false
	}
	fi, err := os.Stat(j.path)
	return err == nil && fi.Size() == j.bytes
}

// Sync returns once line n (from Write) is on disk. Lines written by many goroutines share
// fsyncs (group commit): a line waits for one fsync that started after it was written, never
// for a queue of them.
func (j *Journal) Sync(n uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced < n && j.err == nil {
		if j.syncing {
			j.cond.Wait()
			continue
		}
		if j.f == nil {
			return fmt.Errorf("journal %s is closed", j.path)
		}
		j.syncing = true
		upTo := j.written
		j.mu.Unlock()
		err := j.flush()
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.err = fmt.Errorf("syncing journal %s: %w", j.path, err)
		} else {
			j.synced = upTo
		}
		j.cond.Broadcast()
	}
	if j.synced >= n {
		return nil
	}
	return j.err
}

// Close closes the journal file. Call it once every Append has returned.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.syncing {
		j.cond.Wait()
	}
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func encodeEntry(e Entry) ([]byte, error) {
	var l journalLine
	l.Forget, l.ForgetJob = e.Forget, e.ForgetJob
	if r := e.Record; r != nil {
		if why := checkRecord(r); why != "" {
			return nil, fmt.Errorf("journal: record %s %s", r.Addr, why)
		}
		l.Record = &addrRecord{Addr: r.Addr, diskRecord: *recordToDisk(r)}
	}
	if jb := e.Job; jb != nil {
		if why := checkJob(jb); why != "" {
			return nil, fmt.Errorf("journal: job %s %s", jb.Addr, why)
		}
		l.Job = &addrJob{Addr: jb.Addr, diskJob: *jobToDisk(jb)}
	}
	if l == (journalLine{}) {
		return nil, errors.New("journal: empty entry")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&l); err != nil { // Encode ends the line
		return nil, fmt.Errorf("journal: encoding entry: %w", err)
	}
	return b.Bytes(), nil
}

// decodeEntry reads one journal line; errors are *Error with line 1.
func decodeEntry(line []byte) (Entry, error) {
	var l journalLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Entry{}, jsonError("", line, err)
	}
	if dec.More() {
		return Entry{}, &Error{Line: 1, Reason: "more than one JSON value on the line"}
	}
	e := Entry{Forget: l.Forget, ForgetJob: l.ForgetJob}
	if l.Record != nil {
		r, why := recordFromDisk(l.Record.Addr, &l.Record.diskRecord)
		if why != "" {
			return Entry{}, &Error{Line: 1, Reason: fmt.Sprintf("record %s %s", l.Record.Addr, why)}
		}
		e.Record = r
	}
	if l.Job != nil {
		jb, why := jobFromDisk(l.Job.Addr, &l.Job.diskJob)
		if why != "" {
			return Entry{}, &Error{Line: 1, Reason: fmt.Sprintf("job %s %s", l.Job.Addr, why)}
		}
		e.Job = jb
	}
	if e.Record == nil && e.Job == nil && e.Forget == "" && e.ForgetJob == "" {
		return Entry{}, &Error{Line: 1, Reason: "empty entry"}
	}
	return e, nil
}

// ReadJournal reads every entry of the journal at path, in order. A missing journal is
// nil, nil. A last line cut short by a crash (no newline, not whole JSON) is ignored; any
// other bad line is an *Error naming its line (ReadJournalLenient skips them instead).
func ReadJournal(path string) ([]Entry, error) {
	entries, bad, err := ReadJournalLenient(path)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad[0]
	}
	return entries, nil
}

func journalError(path string, line int, err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Path: path, Line: line, Reason: err.Error()}
	}
	out := *e
	out.Path, out.Line = path, line
	if out.Reason == truncatedReason {
		out.Reason = "the line is cut short, yet more lines follow it; the journal is damaged"
	}
	return &out
}

// ReadJournalLenient reads every readable entry of the journal at path, in order, and names
// each line that is not one in bad. A last line cut short by a crash (no newline, not whole
// JSON) is ignored silently, as it is torn, not damaged. A missing journal is nil, nil, nil.
func ReadJournalLenient(path string) (entries []Entry, bad []*Error, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("reading journal: %w", err)
		}
		torn := errors.Is(err, io.EOF) // no newline: the last line
		if text := bytes.TrimSpace(line); len(text) > 0 {
			e, derr := decodeEntry(text)
			switch {
			case derr == nil:
				entries = append(entries, e)
			case torn && !json.Valid(text):
				// an interrupted write: repaired silently by OpenJournal
			default:
				bad = append(bad, journalError(path, n, derr))
			}
		}
		if torn {
			return entries, bad, nil
		}
	}
}
