package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noopProject is a project that reads every kind of input the no-op record covers: a
// fileset, file, templatefile and fileexists, an env() variable, a -var, a reference file,
// an upstream's output, two configuration files.
var noopProject = map[string]string{
	"main.gen.hcl": `provider "offline" {}

variable "style" {
  default = "flat"
}

locals {
  mood  = env("SPEED_TEST_MOOD")
  extra = fileexists("extra.txt") ? file("extra.txt") : "none"
}

image "a" {
  for_each = fileset("prompts", "*.txt")
  model    = "gpt-image-1"
  prompt   = "${file("prompts/${each.key}")} ${var.style} ${local.mood}"
  size     = "64x64"
  path     = "out/a-${each.key}.png"
}
`,
	"more.gen.hcl": `image "b" {
  model      = "gpt-image-1"
  prompt     = templatefile("tmpl/b.tmpl", { mood = local.mood, extra = local.extra })
  size       = "64x64"
  references = ["refs/r.txt"]
  path       = "out/b.png"
}

chat "c" {
  model  = "deepseek-v3"
  prompt = "describe ${image.b.path} ${image.b.sha256}"
  path   = "out/c.txt"
}
`,
	"prompts/one.txt": "a cat",
	"prompts/two.txt": "a dog",
	"tmpl/b.tmpl":     "mood ${mood} extra ${extra}",
	"refs/r.txt":      "reference one",
}

type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(dir string, args ...string) cliRun {
	var out, errb bytes.Buffer
	code := run(append([]string{"-chdir=" + dir}, args...), &out, &errb)
	return cliRun{code, out.String(), errb.String()}
}

// TestNoopRecordDifferential changes a project at random (files edited, some within the
// same second with the same size and their times put back, deleted, reverted, renamed;
// outputs deleted or overwritten; variables, environment and state changed; applies) and
// after each change plans twice: with the no-op record left by the plans before, and with
// no record. The two must print the same thing and exit alike.
func TestNoopRecordDifferential(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { noopDifferential(t, seed, 50) })
	}
}

func noopDifferential(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 99))
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range noopProject {
		write(name, content)
	}
	t.Setenv("SPEED_TEST_MOOD", "calm")
	style := "flat"
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
		t.Fatalf("first apply: %s%s", res.stdout, res.stderr)
	}
	record := filepath.Join(dir, ".genform", "noop.json")
	valid := filepath.Join(dir, ".genform", "valid.json")
	validSeen := 0
	history := map[string][]string{} // file -> contents it had, for reverts
	fastSeen, recorded := 0, 0

	// sameSecond rewrites a file with other bytes of the same length and puts its
	// modification time back: only its change time tells.
	sameSecond := func(name string) string {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			return "no " + name
		}
		old, _ := os.ReadFile(p)
		b := bytes.Clone(old)
		switch {
		case len(b) == 0:
			return "empty " + name
		case strings.HasSuffix(name, ".hcl"): // keep it valid: 64x64 <-> 32x32
			if bytes.Contains(b, []byte("64x64")) {
				b = bytes.Replace(b, []byte("64x64"), []byte("32x32"), 1)
			} else {
				b = bytes.Replace(b, []byte("32x32"), []byte("64x64"), 1)
			}
		default: // a byte of the first word, which no template syntax is in
			i := r.IntN(max(1, bytes.IndexByte(b, ' ')))
			b[i] = "xyz"[r.IntN(3)]
			if b[i] == old[i] {
				b[i]++
			}
		}
		if err := os.WriteFile(p, b, fi.Mode()); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, fi.ModTime(), fi.ModTime())
		return "same-second edit of " + name
	}
	apply := func() string {
		res := runCLI(dir, "apply", "-auto-approve", "-var", "style="+style)
		if res.code != 0 {
			return fmt.Sprintf("apply (%d: %.300s)", res.code, res.stderr)
		}
		return "apply"
	}
	inputs := []string{"prompts/one.txt", "prompts/two.txt", "tmpl/b.tmpl", "refs/r.txt", "main.gen.hcl", "more.gen.hcl", "extra.txt"}
	mutations := []func() string{
		func() string { // edit an input file
			name := inputs[r.IntN(len(inputs))]
			old, _ := os.ReadFile(filepath.Join(dir, name))
			history[name] = append(history[name], string(old))
			if strings.HasSuffix(name, ".hcl") {
				write(name, strings.Replace(string(old), "64x64", []string{"64x64", "32x32"}[r.IntN(2)], 1))
			} else {
				write(name, fmt.Sprintf("%s %d", strings.Fields(string(old) + " x")[0], r.IntN(3)))
			}
			return "edit " + name
		},
		func() string { return sameSecond(inputs[r.IntN(len(inputs))]) },
		func() string { // revert a file to an earlier content
			name := inputs[r.IntN(len(inputs))]
			h := history[name]
			if len(h) == 0 {
				return "nothing to revert"
			}
			write(name, h[r.IntN(len(h))])
			return "revert " + name
		},
		func() string { // delete or create a file the configuration asks about
			name := []string{"extra.txt", "prompts/three.txt", "prompts/two.txt"}[r.IntN(3)]
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				os.Remove(p)
				return "delete " + name
			}
			write(name, "new "+name)
			return "create " + name
		},
		func() string { // rename a configuration or input file, and back
			pairs := [][2]string{{"more.gen.hcl", "zmore.gen.hcl"}, {"refs/r.txt", "refs/s.txt"}, {"prompts/one.txt", "prompts/uno.txt"}}
			pr := pairs[r.IntN(len(pairs))]
			a, b := filepath.Join(dir, pr[0]), filepath.Join(dir, pr[1])
			if _, err := os.Stat(a); err == nil {
				os.Rename(a, b)
				return "rename " + pr[0]
			}
			os.Rename(b, a)
			return "rename back " + pr[0]
		},
		func() string { // delete an output
			name := []string{"out/b.png", "out/c.txt", "out/a-one.txt.png"}[r.IntN(3)]
			os.Remove(filepath.Join(dir, name))
			return "delete output " + name
		},
		func() string { return sameSecond([]string{"out/b.png", "out/c.txt"}[r.IntN(2)]) },
		func() string {
			os.Setenv("SPEED_TEST_MOOD", []string{"calm", "wild"}[r.IntN(2)])
			return "env " + os.Getenv("SPEED_TEST_MOOD")
		},
		func() string {
			style = []string{"flat", "bold"}[r.IntN(2)]
			return "-var style=" + style
		},
		func() string { // forget an instance
			res := runCLI(dir, "state", "rm", "chat.c")
			return fmt.Sprintf("state rm chat.c (%d)", res.code)
		},
		apply, apply, apply,
	}
	var log []string
	for step := 0; step < steps; step++ {
		what := mutations[r.IntN(len(mutations))]()
		log = append(log, what)
		before, hadRecord := os.Stat(record)
		withRecord := runCLI(dir, "plan", "-var", "style="+style)
		if after, err := os.Stat(record); hadRecord == nil && err == nil && os.SameFile(before, after) &&
			strings.Contains(withRecord.stdout, "No changes") {
			fastSeen++ // the record was read, not written again: the plan took it
		}
		kept, keptErr := os.ReadFile(record)
		os.Remove(record)
		partial := filepath.Join(dir, ".genform", "partial.gob") // the other record plan reads
		keptPartial, partialErr := os.ReadFile(partial)
		os.Remove(partial)
		without := runCLI(dir, "plan", "-var", "style="+style)
		if _, err := os.Stat(record); err == nil {
			recorded++
		}
		os.Remove(partial)
		if partialErr == nil {
			os.WriteFile(partial, keptPartial, 0o644)
		}
		if withRecord != without {
			t.Fatalf("after %s\nwith the record:\n%d %s%s\nwithout:\n%d %s%s", strings.Join(log, "; "),
				withRecord.code, withRecord.stdout, withRecord.stderr, without.code, without.stdout, without.stderr)
		}
		if keptErr == nil { // the record as the plan with it left it, for the next step
			os.WriteFile(record, kept, 0o644)
		} else {
			os.Remove(record)
		}
		// validate alike, with its own record
		before, hadRecord = os.Stat(valid)
		withRecord = runCLI(dir, "validate", "-var", "style="+style)
		if after, err := os.Stat(valid); hadRecord == nil && err == nil && os.SameFile(before, after) {
			validSeen++
		}
		kept, keptErr = os.ReadFile(valid)
		os.Remove(valid)
		if without := runCLI(dir, "validate", "-var", "style="+style); withRecord != without {
			t.Fatalf("after %s\nvalidate with the record:\n%d %s%s\nwithout:\n%d %s%s", strings.Join(log, "; "),
				withRecord.code, withRecord.stdout, withRecord.stderr, without.code, without.stdout, without.stderr)
		}
		if keptErr == nil {
			os.WriteFile(valid, kept, 0o644)
		} else {
			os.Remove(valid)
		}
		time.Sleep(time.Duration(r.IntN(3)) * time.Millisecond)
	}
	if fastSeen == 0 || recorded == 0 || validSeen == 0 {
		t.Fatalf("the record was used %d times and written %d times, validate's used %d times: the test did not exercise them (%s)",
			fastSeen, recorded, validSeen, strings.Join(log, "; "))
	}
	t.Logf("record used %d times, written %d times, validate's used %d times in %d steps", fastSeen, recorded, validSeen, steps)
}

// TestValidRecordSeesOutputPaths: validate's record covers what is at each output path. A
// folder made at one later, or a symbolic link there that leaves the project, makes validate
// fail as it does without the record (apply would fail on it); taking it away makes the
// configuration valid again.
func TestValidRecordSeesOutputPaths(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"main.gen.hcl": `provider "offline" {}

chat "c" {
  model  = "deepseek-v3"
  prompt = "a line"
  path   = "out/c.txt"
}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".genform"), 0o755); err != nil {
		t.Fatal(err)
	}
	valid := filepath.Join(dir, ".genform", "valid.json")
	validate := func(step string, want int, says string) {
		t.Helper()
		res := runCLI(dir, "validate")
		if res.code != want || !strings.Contains(res.stdout+res.stderr, says) {
			t.Fatalf("%s: validate exit %d, want %d with %q\n%s%s", step, res.code, want, says, res.stdout, res.stderr)
		}
	}
	validate("first", 0, "The configuration is valid.")
	if _, err := os.Stat(valid); err != nil {
		t.Fatalf("validate kept no record: %v", err)
	}
	out := filepath.Join(dir, "out", "c.txt")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	validate("a folder at the output path", 1, `"out/c.txt" is a folder that exists`)
	os.Remove(out)
	validate("the folder taken away", 0, "The configuration is valid.")
	validate("again, from the record", 0, "The configuration is valid.")
	if err := os.Symlink(t.TempDir(), out); err != nil {
		t.Fatal(err)
	}
	validate("a link out of the project at the output path", 1, "Invalid output path")
}

// TestDamagedRecordsReadAsNone: plan's records are written without waiting for the disk, so
// a power cut may leave one empty, zeroed or cut short. Such a record is no record: plan
// prints what it prints without one, before and after an edit.
func TestDamagedRecordsReadAsNone(t *testing.T) {
	damages := map[string]func([]byte) []byte{
		"empty":  func([]byte) []byte { return nil },
		"zeros":  func(b []byte) []byte { return make([]byte, len(b)) },
		"halved": func(b []byte) []byte { return b[:len(b)/2] },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for file, content := range noopProject {
				writeFile(t, filepath.Join(dir, file), content)
			}
			t.Setenv("SPEED_TEST_MOOD", "calm")
			if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
				t.Fatalf("apply: %s%s", res.stdout, res.stderr)
			}
			records := []string{"partial.gob", "noop.json", "noop.json.outputs"}
			kept := map[string][]byte{}
			for _, r := range records {
				b, err := os.ReadFile(filepath.Join(dir, ".genform", r))
				if err != nil {
					t.Fatalf("apply left no %s: %v", r, err)
				}
				kept[r] = b
			}
			planWith := func(step string, records map[string][]byte) cliRun {
				t.Helper()
				for r, b := range records {
					p := filepath.Join(dir, ".genform", r)
					os.Remove(p)
					if b != nil {
						if err := os.WriteFile(p, b, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				return runCLI(dir, "plan")
			}
			damaged := map[string][]byte{}
			for r, b := range kept {
				damaged[r] = damage(b)
			}
			none := map[string][]byte{"partial.gob": nil, "noop.json": nil, "noop.json.outputs": nil}
			for _, c := range [][2]string{{"unchanged", "No changes."}, {"an asset block edited", "Plan: 0 to create, 2 to regenerate"}} {
				step, says := c[0], c[1]
				if step != "unchanged" {
					writeFile(t, filepath.Join(dir, "more.gen.hcl"), strings.Replace(noopProject["more.gen.hcl"], `"64x64"`, `"32x32"`, 1))
				}
				got, want := planWith(step, damaged), planWith(step, none)
				if got != want {
					t.Errorf("%s, records %s: plan printed\n%s%s(exit %d)\nwithout records\n%s%s(exit %d)", step, name, got.stdout, got.stderr, got.code, want.stdout, want.stderr, want.code)
				}
				if !strings.Contains(got.stdout, says) || got.code != 0 {
					t.Errorf("%s: plan exit %d, want 0 with %q\n%s%s", step, got.code, says, got.stdout, got.stderr)
				}
				if strings.Contains(got.stderr, "panic") {
					t.Errorf("%s: %s", step, got.stderr)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
