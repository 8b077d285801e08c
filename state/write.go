package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
)

// Marshal returns the exact bytes Write writes for f at its current serial: sorted keys and
// entries, two-space indent, one trailing newline. It fails if f breaks an invariant that Read
// would refuse, so genform never writes a state it cannot read back.
func Marshal(f *File) ([]byte, error) {
	head, tail, err := encode(f)
	if err != nil {
		return nil, err
	}
	return assemble(head, f.Serial, tail), nil
}

// MarshalUnwritten is Marshal for a state that no file or backend holds yet (a project before
// its first apply). Its lineage was made for a first write that has not happened, and a new
// one is made on every read, so the JSON leaves it out: it is the same on every call. Read
// refuses such JSON: it is for showing, never for writing.
func MarshalUnwritten(f *File) ([]byte, error) {
	head, tail, err := encodeAs(f, false)
	if err != nil {
		return nil, err
	}
	return assemble(head, f.Serial, tail), nil
}

// Write writes f to path if its content differs from what is there; changed says whether it
// did. An unchanged file is left byte-identical with its serial, and f.Serial takes the serial
// on disk. A change bumps f.Serial, copies the previous file to backupPath (none when empty),
// then replaces the file atomically. A file on disk that is not a readable state is never
// overwritten: Write returns the *Error that says why.
func Write(path string, f *File, backupPath string) (changed bool, err error) {
	head, tail, err := encode(f)
	if err != nil {
		return false, err
	}
	perm := fs.FileMode(0o644)
	var serial uint64
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if s, same := sameContent(old, head, tail); same {
			f.Serial = s
			return false, nil
		}
		onDisk, err := parse(path, old)
		if err != nil {
			return false, fmt.Errorf("refusing to overwrite a state file genform cannot read: %w", err)
		}
		serial = max(f.Serial, onDisk.Serial) + 1
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
		if backupPath != "" {
			if err := WriteFileAtomic(backupPath, old, perm); err != nil {
				return false, fmt.Errorf("backing up the state: %w", err)
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		serial = f.Serial + 1
	default:
		return false, fmt.Errorf("reading state: %w", err)
	}
	if err := WriteFileAtomic(path, assemble(head, serial, tail), perm); err != nil {
		return false, fmt.Errorf("writing state: %w", err)
	}
	f.Serial = serial
	return true, nil
}

// encode writes everything but the serial. The serial sorts after records, so it splits the
// file into a head and a tail that do not depend on it: comparing content "other than serial"
// is then a byte comparison.
func encode(f *File) (head, tail []byte, err error) {
	return encodeAs(f, true)
}

// encodeAs is encode, with the lineage or (lineage false) without it.
func encodeAs(f *File, lineage bool) (head, tail []byte, err error) {
	if err := checkFile(f, lineage); err != nil {
		return nil, nil, err
	}
	e := &encoder{b: make([]byte, 0, 1024*(len(f.Records)+1))}
	top := e.open(0)
	top.key("jobs")
	jobs := e.open(1)
	for _, addr := range slices.Sorted(maps.Keys(f.Jobs)) {
		jobs.key(addr)
		e.job(f.Jobs[addr], 2)
	}
	jobs.close()
	if lineage {
		e.strField(&top, "lineage", f.Lineage)
	}
	top.key("records")
	records := e.open(1)
	for _, addr := range slices.Sorted(maps.Keys(f.Records)) {
		records.key(addr)
		if err := e.record(f.Records[addr], 2); err != nil {
			return nil, nil, fmt.Errorf("state: record %s: %w", addr, err)
		}
	}
	records.close()
	top.key("serial")
	return e.b, []byte(",\n  \"version\": " + strconv.Itoa(Version) + "\n}\n"), nil
}

func assemble(head []byte, serial uint64, tail []byte) []byte {
	out := make([]byte, 0, len(head)+20+len(tail))
	out = append(out, head...)
	out = strconv.AppendUint(out, serial, 10)
	return append(out, tail...)
}

// sameContent reports whether old is exactly head + some serial + tail, and that serial.
func sameContent(old, head, tail []byte) (uint64, bool) {
	if len(old) <= len(head)+len(tail) || !bytes.HasPrefix(old, head) || !bytes.HasSuffix(old, tail) {
		return 0, false
	}
	mid := string(old[len(head) : len(old)-len(tail)])
	s, err := strconv.ParseUint(mid, 10, 64)
	if err != nil || strconv.FormatUint(s, 10) != mid {
		return 0, false
	}
	return s, true
}

// checkFile holds f to what Read accepts (but for the lineage, when lineage is false); a
// failure is a bug in the caller.
func checkFile(f *File, lineage bool) error {
	if f == nil {
		return errors.New("state: nil File")
	}
	if lineage && f.Lineage == "" {
		return errors.New("state: the state has no lineage (make it with state.New)")
	}
	for addr, r := range f.Records {
		if r == nil {
			return fmt.Errorf("state: record %s is nil", addr)
		}
		if r.Addr != addr {
			return fmt.Errorf("state: record key %s holds a record for %s", addr, r.Addr)
		}
		if why := checkRecord(r); why != "" {
			return fmt.Errorf("state: record %s %s", addr, why)
		}
	}
	for addr, j := range f.Jobs {
		if j == nil {
			return fmt.Errorf("state: job %s is nil", addr)
		}
		if j.Addr != addr {
			return fmt.Errorf("state: job key %s holds a job for %s", addr, j.Addr)
		}
		if why := checkJob(j); why != "" {
			return fmt.Errorf("state: job %s %s", addr, why)
		}
	}
	return nil
}

// quoteJSON is s as a JSON string, written the way the state file writes strings.
func quoteJSON(s string) []byte {
	e := encoder{}
	e.str(s)
	return e.b
}
