package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/genform/genform/engine"
)

// samePlans plans in dir with the records .genform/ holds, then without them (putting them
// back after), and fails unless the two print the same thing and exit alike. It reports
// whether the first plan took a record's path: the partial record's file was there and the
// plan did not write it again.
func samePlans(t *testing.T, dir string) (cliRun, bool) {
	t.Helper()
	record := filepath.Join(dir, ".genform", "partial.gob")
	before, hadRecord := os.Stat(record)
	with := runCLI(dir, "plan")
	after, err := os.Stat(record)
	used := hadRecord == nil && err == nil && os.SameFile(before, after)
	kept := setRecordsAside(dir)
	without := runCLI(dir, "plan")
	if with != without {
		t.Fatalf("with the records:\n%d %s%s\nwithout:\n%d %s%s", with.code, with.stdout, with.stderr, without.code, without.stdout, without.stderr)
	}
	putRecordsBack(dir, kept)
	return with, used
}

// planRecords are the files of .genform/ a plan may take instead of planning everything.
var planRecords = []string{"partial.gob", "noop.json", "noop.json.outputs"}

// setRecordsAside removes the plan records from dir's .genform/ and returns them.
func setRecordsAside(dir string) map[string][]byte {
	kept := map[string][]byte{}
	for _, name := range planRecords {
		if b, err := os.ReadFile(filepath.Join(dir, ".genform", name)); err == nil {
			kept[name] = b
		}
		os.Remove(filepath.Join(dir, ".genform", name))
	}
	return kept
}

// putRecordsBack puts back the records setRecordsAside took, and only them.
func putRecordsBack(dir string, kept map[string][]byte) {
	for _, name := range planRecords {
		os.Remove(filepath.Join(dir, ".genform", name))
		if b, ok := kept[name]; ok {
			os.WriteFile(filepath.Join(dir, ".genform", name), b, 0o644)
		}
	}
}

// vouchedBlocks reads the blocks the partial record in dir vouches for; ok is false when
// there is no record.
func vouchedBlocks(t *testing.T, dir string) ([]string, bool) {
	t.Helper()
	rec := engine.ReadPartialRecord(partialPath(dir))
	if rec == nil {
		return nil, false
	}
	blocks, ok := rec.VouchedBlocks()
	if !ok {
		t.Fatal("the partial record's body cannot be read")
	}
	return blocks, true
}

// TestApplyPartialRecord: apply leaves a partial record for the state it wrote, vouching
// only for the blocks whose every instance is done, so that the plan after it takes the
// partial path and prints what a whole plan prints; none when a configuration file was
// edited while the apply ran.
// writePartialProject writes the project of the partial record's apply tests, image.a's
// prompt given: images a, b (read by chat c by path) and d (two instances).
func writePartialProject(t *testing.T, dir, prompt string) {
	t.Helper()
	src := fmt.Sprintf(`provider "offline" {}

image "a" {
  model  = "gpt-image-1"
  prompt = %q
  size   = "64x64"
  path   = "out/a.png"
}

image "b" {
  model  = "gpt-image-1"
  prompt = "b"
  size   = "64x64"
  path   = "out/b/x.png"
}

chat "c" {
  model  = "deepseek-v3"
  prompt = "about ${image.b.path}"
  path   = "out/c.txt"
}

image "d" {
  model  = "gpt-image-1"
  prompt = "d"
  size   = "64x64"
  count  = 2
  path   = "out/d${count.index}.png"
}
`, prompt)
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestApplyPartialRecord(t *testing.T) {
	dir := t.TempDir()
	conf := func(prompt string) { writePartialProject(t, dir, prompt) }
	conf("a")
	// a file where image.b's folder goes: b fails, and c, which reads it, is skipped
	os.MkdirAll(filepath.Join(dir, "out"), 0o755)
	blocker := filepath.Join(dir, "out", "b")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 1 || !strings.Contains(res.stdout+res.stderr, "1 failed, 1 skipped") {
		t.Fatalf("apply with a blocked folder: %d %s%s", res.code, res.stdout, res.stderr)
	}
	if got, ok := vouchedBlocks(t, dir); !ok || !slices.Equal(got, []string{"image.a", "image.d"}) {
		t.Fatalf("after a failed apply the record vouches for %v (record: %t), want image.a and image.d", got, ok)
	}
	if res, used := samePlans(t, dir); !used || !strings.Contains(res.stdout, "image.b") || !strings.Contains(res.stdout, "chat.c") {
		t.Fatalf("plan after the failed apply (partial path: %t):\n%s", used, res.stdout)
	}

	os.Remove(blocker)
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
		t.Fatalf("apply: %d %s%s", res.code, res.stdout, res.stderr)
	}
	if got, ok := vouchedBlocks(t, dir); !ok || len(got) != 4 {
		t.Fatalf("after a whole apply the record vouches for %v (record: %t), want every block", got, ok)
	}
	// nothing left to do: the no-op record too, and the plan takes it
	noopBefore, err := os.Stat(noopPath(dir))
	if err != nil {
		t.Fatalf("no no-op record after an apply that left nothing to do: %v", err)
	}
	if res := runCLI(dir, "plan"); !strings.Contains(res.stdout, "No changes") {
		t.Fatalf("plan after a whole apply:\n%s", res.stdout)
	}
	if after, err := os.Stat(noopPath(dir)); err != nil || !os.SameFile(noopBefore, after) {
		t.Fatalf("the plan after a whole apply did not take the no-op record apply left")
	}
	samePlans(t, dir)
	conf("a2")
	res, used := samePlans(t, dir)
	if !used || !strings.Contains(res.stdout, "image.a will be regenerated") || strings.Contains(res.stdout, "image.d") {
		t.Fatalf("plan of one edit after an apply (partial path: %t):\n%s", used, res.stdout)
	}

	// an output deleted after the apply: the record does not vouch for it any more
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
		t.Fatalf("apply: %d %s%s", res.code, res.stdout, res.stderr)
	}
	os.Remove(filepath.Join(dir, "out", "d1.png"))
	if res, _ := samePlans(t, dir); !strings.Contains(res.stdout, "image.d[1]") {
		t.Fatalf("plan after an output was deleted:\n%s", res.stdout)
	}

	// the configuration edited while the apply ran: no record
	beforeRun = func() { conf("a3") }
	res = runCLI(dir, "apply", "-auto-approve")
	beforeRun = nil
	if res.code != 0 {
		t.Fatalf("apply: %d %s%s", res.code, res.stdout, res.stderr)
	}
	if got, ok := vouchedBlocks(t, dir); ok {
		t.Fatalf("after an apply during which the configuration changed, a record vouches for %v", got)
	}
	if res, _ := samePlans(t, dir); !strings.Contains(res.stdout, "image.a will be regenerated") {
		t.Fatalf("plan after an edit during the apply:\n%s", res.stdout)
	}
}

// TestPartialAfterColdStatCache: a whole plan that had to hash the outputs (no stat cache, as
// in a fresh clone or after .genform/stat.cache was removed) leaves a record on which the
// next plan of an edit takes the partial path. The outputs it hashed are not files the plan
// read; listed as such, every changed instance's output made the partial plan fall back.
func TestPartialAfterColdStatCache(t *testing.T) {
	dir := t.TempDir()
	conf := func(prompt string) { writePartialProject(t, dir, prompt) }
	conf("a")
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
		t.Fatalf("apply: %d %s%s", res.code, res.stdout, res.stderr)
	}
	for _, name := range []string{"stat.cache", "partial.gob", "noop.json", "noop.json.outputs"} {
		os.Remove(filepath.Join(dir, ".genform", name))
	}
	if res := runCLI(dir, "plan"); !strings.Contains(res.stdout, "No changes") {
		t.Fatalf("plan with a cold stat cache:\n%s", res.stdout)
	}
	conf("a2")
	res, used := samePlans(t, dir)
	if !used || !strings.Contains(res.stdout, "image.a will be regenerated") || strings.Contains(res.stdout, "image.d") {
		t.Fatalf("plan of one edit after a whole plan that hashed the outputs (partial path: %t):\n%s", used, res.stdout)
	}
}
