package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// validState is a small state that reads; the refusal cases edit it.
const validState = `{
  "jobs": {},
  "lineage": "abc",
  "records": {
    "image.icon": {
      "input_hash": "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      "kind": "image",
      "output": {
        "path": "out/icon.png",
        "sha256": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "size": 10
      },
      "provider": "offline"
    }
  },
  "serial": 3,
  "version": 1
}
`

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err %v, want fs.ErrNotExist", err)
	}
}

func TestReadRefuses(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(validState, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(validState, old, new, 1)
	}
	for _, tc := range []struct {
		name      string
		data      string
		line, col int    // 0: not checked
		want      string // in Reason
	}{
		{"empty", "", 0, 0, "the state file is empty"},
		{"truncated", validState[:200], 9, 0, "truncated"},
		{"not JSON", edit(`"serial": 3,`, `"serial": 3,,`), 16, 15, "not valid JSON: unexpected ','"},
		{"not an object", "[1, 2]\n", 1, 0, "the top level holds an array where the state needs an object"},
		{"no version", `{"lineage": "x"}`, 1, 1, `no "version" field`},
		{"future version", edit(`"version": 1`, `"version": 2`), 17, 3, "state version 2 was written by a newer genform; upgrade genform"},
		{"huge version", edit(`"version": 1`, `"version": 123456789012345678901234567890`), 17, 3, "was written by a newer genform"},
		{"version zero", edit(`"version": 1`, `"version": 0`), 17, 3, "unknown state version 0"},
		{"version string", edit(`"version": 1`, `"version": "1"`), 17, 3, `unknown state version "1"`},
		{"unknown field", edit(`"serial": 3,`, `"serial": 3, "secrets": "x",`), 16, 16, `unknown field "secrets"`},
		{"wrong type", edit(`"size": 10`, `"size": "10"`), 11, 0, "record image.icon: output.size holds a string where the state needs a whole number"},
		{"negative serial", edit(`"serial": 3`, `"serial": -3`), 16, 0, "serial holds the number -3 where the state needs a whole number, 0 or more"},
		{"no lineage", edit(`"lineage": "abc"`, `"lineage": ""`), 3, 3, "no lineage"},
		{"bad input hash", edit(`"eeee`, `"EEEE`), 5, 5, `record image.icon input_hash "EEEE`},
		{"bad output hash", edit(`"ffff`, `"zzzz`), 5, 5, "output sha256"},
		{"absolute path", edit(`out/icon.png`, `/etc/passwd`), 5, 5, `output path "/etc/passwd" is absolute`},
		{"dotdot path", edit(`out/icon.png`, `out/../../x.png`), 5, 5, `has ".."`},
		{"unclean path", edit(`out/icon.png`, `out//icon.png`), 5, 5, "not canonical"},
		{"negative size", edit(`"size": 10`, `"size": -1`), 5, 5, "output size -1 is negative"},
		{"kind mismatch", edit(`"kind": "image"`, `"kind": "video"`), 5, 5, `kind "video" does not match the address, which is a image`},
		{"unknown kind", edit(`image.icon`, `audio.icon`), 5, 5, `kind "image" does not match`},
		{"bad address", edit(`image.icon`, `image.icon[x]`), 5, 5, `address "image.icon[x]" has a bad index`},
		{"image without output", edit(`"records": {`, `"records": {"image.x": {"input_hash": "`+hashOf('1')+`", "kind": "image", "provider": "p"},`), 4, 15, "record image.x has no output"},
		{"null record", edit(`"records": {`, `"records": {"chat.x": null,`), 4, 15, "record chat.x is null"},
		{"bad time", edit(`"provider": "offline"`, `"provider": "offline", "generated_at": "yesterday"`), 5, 5, `generated_at "yesterday" is not an RFC 3339 time`},
		{"negative cost", edit(`"provider": "offline"`, `"provider": "offline", "cost": -1`), 5, 5, "cost -1 is not a price"},
		{"record twice", edit(`"records": {`, `"records": {"image.icon": {},`), 5, 5, "record image.icon appears twice"},
		{"field twice", edit(`"kind": "image",`, `"kind": "image", "kind": "image",`), 7, 24, `record image.icon: "kind" appears twice`},
		{"key case", edit(`"kind": "image"`, `"Kind": "image"`), 7, 7, `unknown field "Kind" in record image.icon`},
		{"bad escape", edit(`"provider": "offline"`, `"provider": "off\line"`), 13, 23, `unknown escape \l`},
		{"raw newline in string", edit(`"provider": "offline"`, "\"provider\": \"off\nline\""), 13, 23, "unescaped line break in a string"},
		{"bad number", edit(`"size": 10`, `"size": 1.`), 11, 19, "not valid JSON: unexpected line break, expected a digit"},
		{"deep request", edit(`"provider": "offline"`, `"provider": "offline", "request": {"a": `+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`}`), 13, 0, "nested too deeply"},
		{"field twice after a job", edit(`"jobs": {}`, `"jobs": {"video.v": {"input_hash": "`+hashOf('1')+`", "job_id": "j", "provider": "p"}}, "lineage": "abc"`), 3, 3, `the state: "lineage" appears twice`},
		{"job without id", edit(`"jobs": {}`, `"jobs": {"video.v": {"input_hash": "`+hashOf('1')+`", "job_id": "", "provider": "p"}}`), 2, 12, "job video.v has neither a job_id nor a url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "genform.state.json")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Read error %v (%T), want *Error", err, err)
			}
			if !strings.Contains(se.Reason, tc.want) {
				t.Errorf("reason %q, want it to contain %q", se.Reason, tc.want)
			}
			if se.Path != path || !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.line != 0 && se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			if tc.col != 0 && se.Column != tc.col {
				t.Errorf("column %d, want %d (%v)", se.Column, tc.col, err)
			}

			// Write never replaces a state it cannot read.
			changed, werr := Write(path, sampleFile(), filepath.Join(filepath.Dir(path), "backup.json"))
			if werr == nil || changed || !errors.As(werr, &se) || !strings.Contains(werr.Error(), "refusing to overwrite") {
				t.Errorf("Write over it = %v, %v; want a refusal", changed, werr)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, []byte(tc.data)) {
				t.Error("Write changed a state it could not read")
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Path: "s.json", Line: 3, Column: 7, Reason: "bad"}, "s.json:3:7: bad"},
		{Error{Path: "s.json", Line: 3, Reason: "bad"}, "s.json:3: bad"},
		{Error{Path: "s.json", Reason: "bad"}, "s.json: bad"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestReadNormalizes(t *testing.T) {
	// Whatever Read accepts comes back the way Write writes it.
	data := strings.Replace(validState, `"provider": "offline"`,
		`"provider": "offline", "generated_at": "2025-03-04T12:04:05.75+02:00", "request": {}`, 1)
	path := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(path, []byte(data), 0o644)
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Records["image.icon"]
	if got := r.GeneratedAt.Format("2006-01-02T15:04:05.999Z07:00"); got != "2025-03-04T10:04:05Z" {
		t.Errorf("generated_at read as %s", got)
	}
	if r.Request != nil {
		t.Errorf("an empty request read as %#v, want nil", r.Request)
	}
	if r.Addr != "image.icon" {
		t.Errorf("addr %q", r.Addr)
	}
}

func TestReadTrailingData(t *testing.T) {
	for _, extra := range []string{"{}", "]", "x", `"more"`} {
		path := filepath.Join(t.TempDir(), "s.json")
		os.WriteFile(path, []byte(validState+"\n "+extra+"\n"), 0o644)
		_, err := Read(path)
		var se *Error
		if !errors.As(err, &se) || se.Line != 20 || se.Column != 2 {
			t.Errorf("trailing %q: %v", extra, err)
		}
	}
}

// Every block name the configuration language takes (HCL identifiers, Unicode included) can
// be recorded: in the journal, the cache index and the state file. Names that would make an
// address ambiguous are refused.
func TestAddressNames(t *testing.T) {
	for _, name := range []string{
		"hero", "_x", "a-b", "a_1", "日本", "Ünïcode",
		"cafe\u0301", // "café" with a combining accent, as a decomposing keyboard writes it
		"a\u00b7b",   // a middle dot: ID_Continue
		"x\u200c",    // a zero-width non-joiner: ID_Continue
		"a\u203fb",   // an undertie, connector punctuation: ID_Continue
	} {
		t.Run(name, func(t *testing.T) {
			for _, addr := range []string{"chat." + name, "chat." + name + `["k"]`, "chat." + name + "[3]"} {
				r := chatRecord(addr, 1)
				if why := checkRecord(r); why != "" {
					t.Fatalf("%s: %s", addr, why)
				}
				line, err := encodeEntry(Entry{Record: r})
				if err != nil {
					t.Fatal(err)
				}
				if e, err := decodeEntry(bytes.TrimSpace(line)); err != nil || e.Record.Addr != addr {
					t.Fatalf("journal line read back as %+v, %v", e.Record, err)
				}
				path := filepath.Join(t.TempDir(), "genform.state.json")
				f := New()
				f.Records[addr] = r
				if _, err := Write(path, f, ""); err != nil {
					t.Fatal(err)
				}
				if back, err := Read(path); err != nil || back.Records[addr] == nil {
					t.Fatalf("read back: %v", err)
				}
			}
		})
	}
	for _, addr := range []string{
		"chat.", "chat.1a", "chat.-a", "chat.a b", "chat.a\tb", "chat.a]", `chat.a"b`, `chat.a\b`,
		"chat.a\x00", "chat.a\xff", ".a", "chat.a[x]", `chat.a["k"`,
	} {
		if _, why := checkAddr(addr); why == "" {
			t.Errorf("checkAddr(%q) took it", addr)
		}
	}
}

// ReadExcept reads every record but those it is told to skip, each as Read reads it, and
// the rest of the file alike.
func TestReadExcept(t *testing.T) {
	src := strings.Replace(validState, `  "records": {
`, `  "records": {
    "chat.c": {"input_hash": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "kind": "chat", "provider": "offline", "request": {"prompt": "x"}},
    "image.gone": {"input_hash": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", "kind": "image", "provider": "offline", "request": {"prompt": "a } \\\" { ] [ \\\\", "tags": [{"x": []}]}, "output": {"path": "out/g.png", "sha256": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "size": 3}},
`, 1)
	path := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	whole, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	some, err := ReadExcept(path, func(addr string) bool { return addr == "image.gone" })
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Records) != 3 || len(some.Records) != 2 || some.Records["image.gone"] != nil {
		t.Fatalf("records: whole %d, some %d", len(whole.Records), len(some.Records))
	}
	for addr, r := range some.Records {
		if !reflect.DeepEqual(r, whole.Records[addr]) {
			t.Errorf("%s: %+v, want %+v", addr, r, whole.Records[addr])
		}
	}
	if some.Lineage != whole.Lineage || some.Serial != whole.Serial || len(some.Jobs) != len(whole.Jobs) {
		t.Errorf("header %s %d, want %s %d", some.Lineage, some.Serial, whole.Lineage, whole.Serial)
	}
}
