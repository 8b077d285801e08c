package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func hashOf(c byte) string { return strings.Repeat(string(c), 64) }

func ptr[T any](v T) *T { return &v }

// sampleFile has one of everything the state holds.
func sampleFile() *File {
	at := time.Date(2025, 3, 4, 10, 4, 5, 0, time.UTC)
	return &File{
		Lineage: "6f1c2e4a-8b0d-4c3e-9a7f-1d2e3f405162",
		Serial:  6,
		Records: map[string]*Record{
			"chat.tagline": {
				Addr: "chat.tagline", Kind: "chat", Provider: "wisdomgate", Model: "deepseek-v3",
				InputHash: hashOf('a'),
				Request: map[string]any{
					"prompt": "A tagline for <Acme> & friends", "system": "You write short taglines.",
					"temperature": 0.7, "max_tokens": float64(200),
				},
				Text:  "Acme: made with care.",
				Usage: &Usage{PromptTokens: 12, CompletionTokens: 6, TotalTokens: 18},
				Cost:  ptr(0.0004), JobID: "chatcmpl-123", GeneratedAt: at,
			},
			`image.hero["pixel art"]`: {
				Addr: `image.hero["pixel art"]`, Kind: "image", Provider: "wisdomgate",
				Model: "gemini-3-pro-image-preview", InputHash: hashOf('b'),
				Request: map[string]any{
					"prompt": "Acme: made with care., pixel art", "aspect_ratio": "16:9",
					"references": []any{map[string]any{"path": "refs/logo.png", "sha256": hashOf('c')}},
				},
				Output: &Output{Path: "out/hero-pixel-art.png", SHA256: hashOf('d'), Size: 1234567,
					MediaType: "image/png", Width: 2048, Height: 1152},
				Cost: ptr(0.0), RevisedPrompt: "A pixel-art skyline — «Acme»", GeneratedAt: at,
			},
			"image.icon[0]": {
				Addr: "image.icon[0]", Kind: "image", Provider: "offline", InputHash: hashOf('e'),
				Output: &Output{Path: "out/icon.png", SHA256: hashOf('f'), Size: 0},
			},
			"video.teaser": {
				Addr: "video.teaser", Kind: "video", Provider: "wisdomgate", Model: "sora-2",
				InputHash: hashOf('1'),
				Request:   map[string]any{"prompt": "Shot 1:\nThe logo fades in.", "seconds": float64(8)},
				Output: &Output{Path: "out/teaser.mp4", SHA256: hashOf('2'), Size: 9876543,
					MediaType: "video/mp4", Width: 1280, Height: 720, Seconds: 8},
				JobID: "video_abc", GeneratedAt: at,
			},
		},
		Jobs: map[string]*Job{
			"video.trailer": {Addr: "video.trailer", InputHash: hashOf('3'), Provider: "wisdomgate",
				JobID: "video_def", StartedAt: at.Add(time.Minute)},
		},
	}
}

func emptyFile() *File {
	f := New()
	f.Lineage = "00000000-0000-4000-8000-000000000000"
	return f
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() *File
	}{
		{"empty", emptyFile},
		{"full", sampleFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			path := filepath.Join(t.TempDir(), "genform.state.json")
			f := tc.make()
			before := f.Serial
			changed, err := Write(path, f, "")
			if err != nil || !changed {
				t.Fatalf("Write = %v, %v; want true, nil", changed, err)
			}
			if f.Serial != before+1 {
				t.Errorf("serial %d after the first write of serial %d", f.Serial, before)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to make it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("written state differs from %s:\n%s", golden, got)
			}
			back, err := Read(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, f) {
				t.Errorf("read back differs:\n got %#v\nwant %#v", back, f)
			}
			m, err := Marshal(back)
			if err != nil || !bytes.Equal(m, want) {
				t.Errorf("Marshal of the read state differs from the golden file (err %v)", err)
			}
		})
	}
}

// The file is what SPEC section 1 promises: sorted keys, two-space indent, one newline, and
// prompts written as they are (no \u003c for "<").
func TestWriteFormat(t *testing.T) {
	data, err := Marshal(sampleFile())
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.HasSuffix(s, "}\n") || strings.HasSuffix(s, "\n\n") {
		t.Error("the file must end with exactly one newline")
	}
	if strings.Contains(s, "\t") || strings.Contains(s, `\u003c`) {
		t.Error("tabs or HTML escapes in the file")
	}
	if !strings.Contains(s, "<Acme> & friends") {
		t.Error("the prompt is not written verbatim")
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, data, "", "  "); err != nil || indented.String() != s {
		t.Errorf("the file is not two-space indented JSON (%v)", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string)
	walk = func(path string) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			prev := ""
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				if prev != "" && key <= prev {
					t.Errorf("%s: key %q after %q", path, key, prev)
				}
				prev = key
				walk(path + "." + key)
			}
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				walk(path + "[]")
			}
			dec.Token()
		}
	}
	walk("")
}

func TestWriteNoOpAndBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "genform.state.json")
	backup := filepath.Join(dir, ".genform", "state.backup.json")

	f := sampleFile()
	if _, err := Write(path, f, backup); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(backup); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a first write made a backup (%v)", err)
	}
	first, _ := os.ReadFile(path)
	fi1, _ := os.Stat(path)

	t.Run("no-op leaves the file byte-identical", func(t *testing.T) {
		g, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		changed, err := Write(path, g, backup)
		if err != nil || changed {
			t.Fatalf("Write = %v, %v; want false, nil", changed, err)
		}
		now, _ := os.ReadFile(path)
		fi2, _ := os.Stat(path)
		if !bytes.Equal(now, first) || !os.SameFile(fi1, fi2) {
			t.Error("a no-op write touched the file")
		}
		if _, err := os.Stat(backup); !errors.Is(err, fs.ErrNotExist) {
			t.Error("a no-op write made a backup")
		}
	})
	t.Run("same content with a stale serial is still a no-op", func(t *testing.T) {
		g := sampleFile() // serial 6, the file has 7
		changed, err := Write(path, g, backup)
		if err != nil || changed || g.Serial != 7 {
			t.Fatalf("Write = %v, %v, serial %d; want false, nil, 7", changed, err, g.Serial)
		}
	})
	t.Run("a change bumps the serial and keeps a backup", func(t *testing.T) {
		g, _ := Read(path)
		g.Apply([]Entry{{Forget: "image.icon[0]"}})
		changed, err := Write(path, g, backup)
		if err != nil || !changed {
			t.Fatalf("Write = %v, %v; want true, nil", changed, err)
		}
		if g.Serial != 8 {
			t.Errorf("serial %d, want 8", g.Serial)
		}
		b, err := os.ReadFile(backup)
		if err != nil || !bytes.Equal(b, first) {
			t.Errorf("the backup is not the previous file (%v)", err)
		}
		back, err := Read(path)
		if err != nil || back.Serial != 8 || back.Records["image.icon[0]"] != nil {
			t.Errorf("read back serial %d, err %v", back.Serial, err)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		if len(leftovers) > 0 {
			t.Errorf("temporary files left: %v", leftovers)
		}
	})
}

func TestMarshalRefusesBrokenFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(f *File)
		want   string
	}{
		{"key is not the addr", func(f *File) { f.Records["chat.tagline"].Addr = "chat.other" }, "record key chat.tagline holds a record for chat.other"},
		{"no lineage", func(f *File) { f.Lineage = "" }, "no lineage"},
		{"bad hash", func(f *File) { f.Records["chat.tagline"].InputHash = "ABC" }, "not a hex sha256"},
		{"output outside", func(f *File) { f.Records["image.icon[0]"].Output.Path = "../x.png" }, `has ".."`},
		{"job without id", func(f *File) { f.Jobs["video.trailer"].JobID = "" }, "has neither a job_id nor a url"},
		{"nil record", func(f *File) { f.Records["chat.x"] = nil }, "is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile()
			tc.mutate(f)
			path := filepath.Join(t.TempDir(), "s.json")
			if _, err := Write(path, f, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Error("a state that breaks its invariants was written")
			}
		})
	}
}

// TestMarshalUnwritten: the JSON of a state not written yet is Marshal's without the lineage
// line, so two fresh states (two lineages) give the same bytes; it still refuses a broken state.
func TestMarshalUnwritten(t *testing.T) {
	f, g := sampleFile(), sampleFile()
	g.Lineage = New().Lineage
	a, err := MarshalUnwritten(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalUnwritten(g)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two lineages, two JSONs:\n%s\n%s", a, b)
	}
	full, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	line := "  \"lineage\": \"" + f.Lineage + "\",\n"
	if want := strings.Replace(string(full), line, "", 1); string(a) != want || want == string(full) {
		t.Errorf("MarshalUnwritten gave\n%s\nwant Marshal's JSON without %q:\n%s", a, line, want)
	}
	var doc map[string]any
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	f.Lineage = ""
	if c, err := MarshalUnwritten(f); err != nil || !bytes.Equal(c, a) {
		t.Errorf("an empty lineage: %v\n%s", err, c)
	}
	f.Records["chat.tagline"].InputHash = "ABC"
	if _, err := MarshalUnwritten(f); err == nil || !strings.Contains(err.Error(), "not a hex sha256") {
		t.Errorf("a broken state: %v", err)
	}
}

func TestApplyFoldsInOrder(t *testing.T) {
	rec := func(addr, hash string) *Record {
		return &Record{Addr: addr, Kind: "chat", Provider: "offline", InputHash: hash}
	}
	job := &Job{Addr: "video.v", InputHash: hashOf('9'), Provider: "wisdomgate", JobID: "task_1"}
	f := &File{Lineage: "x"} // nil maps: Apply makes them
	f.Apply([]Entry{
		{Record: rec("chat.a", hashOf('1'))},
		{Record: rec("chat.b", hashOf('2'))},
		{Job: job},
		{Record: rec("chat.a", hashOf('3'))}, // replaces
		{Forget: "chat.b"},
		{Record: rec("chat.c", hashOf('4'))},
		{Forget: "chat.c", Record: rec("chat.c", hashOf('5'))}, // removal first, then set
		{ForgetJob: "video.v", Record: &Record{Addr: "video.v", Kind: "video", Provider: "wisdomgate",
			InputHash: hashOf('9'), Output: &Output{Path: "v.mp4", SHA256: hashOf('8')}}},
	})
	got := map[string]string{}
	for k, r := range f.Records {
		got[k] = r.InputHash[:1]
	}
	want := map[string]string{"chat.a": "3", "chat.c": "5", "video.v": "9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if len(f.Jobs) != 0 {
		t.Errorf("jobs %v, want none", f.Jobs)
	}
}

func TestNewLineage(t *testing.T) {
	a, b := New(), New()
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(a.Lineage) || a.Lineage == b.Lineage {
		t.Errorf("lineages %q and %q", a.Lineage, b.Lineage)
	}
	if a.Serial != 0 || a.Records == nil || a.Jobs == nil {
		t.Error("New is not an empty state")
	}
}
