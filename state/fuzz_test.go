package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseStd reads a state with encoding/json: the reference the hand-written decoder must agree
// with.
func parseStd(name string, data []byte) (*File, error) {
	var d diskFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	if err := checkVersion(name, data, d.Version); err != nil {
		return nil, err
	}
	return fileFromDisk(name, data, &d)
}

// FuzzRead: no input panics, every refusal is an *Error, and whatever reads back is written
// and read again unchanged, with the same bytes every time it is written.
func FuzzRead(f *testing.F) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(validState))
	f.Add([]byte(validState[:120]))
	f.Add([]byte(strings.Replace(validState, `"version": 1`, `"version": 2`, 1)))
	f.Add([]byte(strings.Replace(validState, `"provider": "offline"`,
		`"provider": "offline", "generated_at": "0000-01-01T00:30:00+01:00", "request": {"n": 1e300, "a": [null, {}], "s": "\u2028<\ud800"}`, 1)))
	f.Add([]byte(`{"version":1,"lineage":"x","serial":18446744073709551615}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parse("fuzz.json", data)
		std, stdErr := parseStd("fuzz.json", data)
		var se *Error
		switch {
		case err == nil && stdErr != nil:
			t.Fatalf("the decoder took what encoding/json refuses (%v)", stdErr)
		case err != nil && stdErr == nil:
			// Stricter on purpose: no repeated keys, no case folding of keys.
			if !errors.As(err, &se) || !(strings.Contains(se.Reason, "appears twice") || strings.HasPrefix(se.Reason, "unknown field")) {
				t.Fatalf("the decoder refused what encoding/json reads: %v", err)
			}
		case err == nil && !reflect.DeepEqual(st, std):
			t.Fatalf("the decoder and encoding/json disagree:\n%#v\n%#v", st, std)
		}
		if err != nil {
			if !errors.As(err, &se) || se.Reason == "" {
				t.Fatalf("refusal %v (%T) is not an *Error with a reason", err, err)
			}
			return
		}
		first, err := Marshal(st)
		if err != nil {
			t.Fatalf("a state that reads does not write: %v", err)
		}
		if std, err := marshalStd(st); err != nil || !bytes.Equal(std, first) {
			t.Fatalf("the encoder differs from encoding/json (%v):\n%s\n%s", err, first, std)
		}
		again, err := parse("fuzz.json", first)
		if err != nil {
			t.Fatalf("a written state does not read: %v\n%s", err, first)
		}
		if !reflect.DeepEqual(st, again) {
			t.Fatalf("read, write, read changed the state:\n%#v\n%#v", st, again)
		}
		second, err := Marshal(again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("writing twice gave different bytes (%v):\n%s\n%s", err, first, second)
		}
	})
}
