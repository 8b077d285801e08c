package schema

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Reads lists every file, answer and variable a Load and its evaluations read, and flags a
// file read twice with two contents.
func TestReads(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.gen.hcl": `
locals {
  a    = file("p/a.txt")
  set  = fileset("p", "*.txt")
  here = fileexists("p/b.txt")
  gone = fileexists("nope.txt")
  mood = env("MOOD")
}

chat "c" {
  model  = "m"
  prompt = "${local.a} ${filesha256("p/b.txt")} ${local.mood}"
}
`,
		"p/a.txt": "A",
		"p/b.txt": "B",
		"v.hcl":   "x = 1\n",
	})
	c, diags := Load(dir, LoadOptions{Env: []string{"MOOD=calm"}, Vars: []VarValue{{File: "v.hcl"}}})
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}
	if _, d := c.Eval(c.Instances[0], nil); d.HasErrors() {
		t.Fatal(render(c, d))
	}
	r := c.Reads()
	if r.Unstable {
		t.Error("unstable")
	}
	if r.Config["main.gen.hcl"] != sha256Hex([]byte(readTestFile(t, dir, "main.gen.hcl"))) || len(r.Config) != 1 {
		t.Errorf("config %v", r.Config)
	}
	if r.VarFiles[filepath.Join(dir, "v.hcl")] != sha256Hex([]byte("x = 1\n")) {
		t.Errorf("var files %v", r.VarFiles)
	}
	if r.Files["p/a.txt"] != sha256Hex([]byte("A")) || r.Files["p/b.txt"] != sha256Hex([]byte("B")) || len(r.Files) != 2 {
		t.Errorf("files %v", r.Files)
	}
	if !r.Exists["p/b.txt"] || r.Exists["nope.txt"] || len(r.Exists) != 2 {
		t.Errorf("exists %v", r.Exists)
	}
	if got := r.Sets[FileSetKey("p", "*.txt")]; !slices.Equal(got, []string{"a.txt", "b.txt"}) {
		t.Errorf("sets %v", r.Sets)
	}
	if !slices.Equal(r.Env, []string{"MOOD"}) {
		t.Errorf("env %v", r.Env)
	}
	if got, err := ListFiles(dir, "p", "*.txt"); err != nil || !slices.Equal(got, []string{"a.txt", "b.txt"}) {
		t.Errorf("ListFiles = %v, %v", got, err)
	}

	// the file changes between two evaluations: the reads stand for no single state
	if err := os.WriteFile(filepath.Join(dir, "p/b.txt"), []byte("BB"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, d := c.Eval(c.Instances[0], nil); d.HasErrors() {
		t.Fatal(render(c, d))
	}
	if !c.Reads().Unstable {
		t.Error("a file read with two contents left the reads stable")
	}
}

func readTestFile(t *testing.T, dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Reads.Outputs holds what each output path's check found there, as OutputKind tells it now.
func TestReadsOutputs(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.gen.hcl": `
chat "none" {
  model  = "m"
  prompt = "p"
  path   = "out/none.txt"
}

chat "file" {
  model  = "m"
  prompt = "p"
  path   = "./out/file.txt"
}

chat "link" {
  model  = "m"
  prompt = "p"
  path   = "out/link.txt"
}
`,
		"out/file.txt": "old",
	})
	if err := os.Symlink("file.txt", filepath.Join(dir, "out", "link.txt")); err != nil {
		t.Fatal(err)
	}
	c, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}
	for _, inst := range c.Instances {
		if _, d := c.Eval(inst, nil); d.HasErrors() {
			t.Fatal(render(c, d))
		}
	}
	want := map[string]string{"out/none.txt": "", "out/file.txt": "file", "out/link.txt": "link file.txt"}
	r := c.Reads()
	if len(r.Outputs) != len(want) || r.Unstable {
		t.Errorf("outputs %q (unstable %v), want %q", r.Outputs, r.Unstable, want)
	}
	for rel, kind := range want {
		if r.Outputs[rel] != kind || OutputKind(dir, rel) != kind {
			t.Errorf("%s: recorded %q, now %q, want %q", rel, r.Outputs[rel], OutputKind(dir, rel), kind)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "out", "none.txt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := OutputKind(dir, "out/none.txt"); got != "dir" {
		t.Errorf("a folder made at out/none.txt: %q", got)
	}
}
