package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a state (or journal) file genform refuses to use: it does not parse, has a version
// this genform does not know, or breaks an invariant of its version. Line and Column are
// 1-based, 0 when unknown.
type Error struct {
	Path         string
	Line, Column int
	Reason       string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Reason)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Reason)
}

// Read reads the state file at path. A missing file is an error matching fs.ErrNotExist (the
// caller then starts from New). Anything else genform cannot trust is an *Error.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return parse(path, data)
}

// ReadExcept is Read leaving out the records skip names: they are neither decoded nor
// checked, only stepped over. It is for a plan that knows those instances unchanged (by
// the state file's hash, of a file read whole before) and needs only the others.
func ReadExcept(path string, skip func(addr string) bool) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return parseExcept(path, data, skip)
}

// parse decodes a state file. The version rules: a file whose version is not this one is
// refused for its version, whatever else its content would make wrong; only a version 1 file
// is converted to a File (and checked against its invariants).
func parse(name string, data []byte) (*File, error) { return parseExcept(name, data, nil) }

// parseExcept is parse leaving out the records skip names (none when skip is nil).
func parseExcept(name string, data []byte, skip func(string) bool) (*File, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Path: name, Reason: "the state file is empty; restore it from its backup or from git, or delete it to start over"}
	}
	d, derr := decodeState(data, skip)
	if derr != nil {
		// The version decides what the rest means: a file of another version is refused for
		// its version, not for what version 1 makes of its content.
		var head struct {
			Version json.RawMessage `json:"version"`
		}
		if json.Unmarshal(data, &head) == nil && head.Version != nil {
			if verr := checkVersion(name, data, head.Version); verr != nil {
				return nil, verr
			}
		}
		e := &Error{Path: name, Reason: derr.reason}
		if derr.truncated {
			e.Reason = truncatedReason
			derr.off = len(data)
		}
		e.Line, e.Column = position(data, derr.off)
		return nil, e
	}
	if err := checkVersion(name, data, d.Version); err != nil {
		return nil, err
	}
	return fileFromDisk(name, data, d)
}

const truncatedReason = "the file is truncated (the JSON ends early); restore it from its backup or from git"

// checkVersion refuses any version but this one.
func checkVersion(name string, data []byte, raw json.RawMessage) error {
	if raw == nil {
		return &Error{Path: name, Line: 1, Column: 1, Reason: `no "version" field: this is not a genform state file`}
	}
	v, err := strconv.ParseUint(string(raw), 10, 64)
	if err == nil && v == Version {
		return nil
	}
	line, col := keyPosition(data, "version", 0)
	if errors.Is(err, strconv.ErrRange) || (err == nil && v > Version) {
		return &Error{Path: name, Line: line, Column: col, Reason: fmt.Sprintf(
			"state version %s was written by a newer genform; upgrade genform (this one reads version %d)", raw, Version)}
	}
	return &Error{Path: name, Line: line, Column: col, Reason: fmt.Sprintf(
		"unknown state version %s; this genform reads version %d", raw, Version)}
}

func fileFromDisk(name string, data []byte, d *diskFile) (*File, error) {
	if d.Lineage == "" {
		line, col := keyPosition(data, "lineage", 0)
		return nil, &Error{Path: name, Line: line, Column: col, Reason: "the state has no lineage"}
	}
	f := &File{
		Lineage: d.Lineage,
		Serial:  d.Serial,
		Records: make(map[string]*Record, len(d.Records)),
		Jobs:    make(map[string]*Job, len(d.Jobs)),
	}
	// Check in address order so the error reported is the same on every run.
	for _, addr := range slices.Sorted(maps.Keys(d.Records)) {
		r, why := recordFromDisk(addr, d.Records[addr])
		if why != "" {
			line, col := keyPosition(data, addr, sectionStart(data, "records"))
			return nil, &Error{Path: name, Line: line, Column: col, Reason: fmt.Sprintf("record %s %s", addr, why)}
		}
		f.Records[addr] = r
	}
	for _, addr := range slices.Sorted(maps.Keys(d.Jobs)) {
		j, why := jobFromDisk(addr, d.Jobs[addr])
		if why != "" {
			line, col := keyPosition(data, addr, sectionStart(data, "jobs"))
			return nil, &Error{Path: name, Line: line, Column: col, Reason: fmt.Sprintf("job %s %s", addr, why)}
		}
		f.Jobs[addr] = j
	}
	return f, nil
}

// jsonError turns an encoding/json error into an *Error with the position of the fault.
func jsonError(name string, data []byte, err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	e := &Error{Path: name}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Line, e.Column = position(data, len(data))
		e.Reason = truncatedReason
	case errors.As(err, &syn):
		if syn.Offset >= int64(len(data)) || strings.Contains(syn.Error(), "unexpected end of JSON input") {
			e.Line, e.Column = position(data, len(data))
			e.Reason = truncatedReason
		} else {
			e.Line, e.Column = position(data, int(syn.Offset)-1)
			e.Reason = "not valid JSON: " + syn.Error()
		}
	case errors.As(err, &typ):
		e.Line, e.Column = position(data, int(typ.Offset))
		field := typ.Field
		if field == "" {
			field = "the top level"
		}
		e.Reason = fmt.Sprintf("%s holds a JSON %s where the state needs %s", field, typ.Value, describeType(typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		key, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		e.Line, e.Column = keyPosition(data, key, 0)
		e.Reason = fmt.Sprintf("unknown field %q: it is not part of state version %d (edited by hand, or written by another genform?)", key, Version)
	default:
		e.Reason = "not valid JSON: " + err.Error()
	}
	return e
}

// describeType names what a Go type holds, in JSON terms.
func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// position gives the 1-based line and column (in characters) of byte offset off.
func position(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCount(before[lineStart:])
}

// keyPosition finds where the object key name is first written at or after from, for errors
// about values that decoded fine but break an invariant. 0, 0 when it cannot be found.
func keyPosition(data []byte, name string, from int) (line, col int) {
	if from < 0 || from > len(data) {
		return 0, 0
	}
	quoted := quoteJSON(name)
	i := bytes.Index(data[from:], append(quoted, ':'))
	if i < 0 {
		i = bytes.Index(data[from:], quoted)
	}
	if i < 0 {
		return 0, 0
	}
	return position(data, from+i)
}

// sectionStart is where the top-level key name is written, or 0.
func sectionStart(data []byte, name string) int {
	i := bytes.Index(data, []byte(`"`+name+`"`))
	return max(i, 0)
}
