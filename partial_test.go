package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/genform/genform/engine"
)

// partialBlock is one asset block of a generated project.
type partialBlock struct {
	kind, name, prompt, size string
	ref                      string // "image.x" a chat reads, or ""
	path                     string // an image's output path when not out/NAME.png
	reads                    string // a file an image reads by its literal path (references)
}

func (b partialBlock) text() string {
	if b.kind == "chat" {
		ref := ""
		if b.ref != "" {
			ref = " ${" + b.ref + ".path}"
		}
		return fmt.Sprintf("chat %q {\n  model  = \"deepseek-v3\"\n  prompt = \"%s%s\"\n  path   = \"out/%s.txt\"\n}\n", b.name, b.prompt, ref, b.name)
	}
	path, reads := b.path, ""
	if path == "" {
		path = "out/" + b.name + ".png"
	}
	if b.reads != "" {
		reads = fmt.Sprintf("  references = [%q]\n", b.reads)
	}
	return fmt.Sprintf("image %q {\n  model  = \"gpt-image-1\"\n  prompt = \"%s ${var.style}\"\n  size   = %q\n%s  path   = %q\n}\n", b.name, b.prompt, b.size, reads, path)
}

// partialModel is a generated project: blocks by file, and a header (provider, variable,
// a for_each block an output reads).
type partialModel struct {
	style string
	keys  string // the for_each block's keys
	files map[string][]partialBlock
	blank map[string]int // blank lines or comments inserted before the blocks of a file
}

func (m *partialModel) clone() *partialModel {
	c := &partialModel{style: m.style, keys: m.keys, files: map[string][]partialBlock{}, blank: map[string]int{}}
	for f, bs := range m.files {
		c.files[f] = slices.Clone(bs)
	}
	for f, n := range m.blank {
		c.blank[f] = n
	}
	return c
}

func (m *partialModel) render(name string) string {
	var b strings.Builder
	if name == "a.gen.hcl" {
		fmt.Fprintf(&b, "provider \"offline\" {}\n\nvariable \"style\" {\n  default = %q\n}\n\n", m.style)
		fmt.Fprintf(&b, "image \"set\" {\n  for_each = toset(%s)\n  model    = \"gpt-image-1\"\n  prompt   = \"set ${each.key}\"\n  size     = \"64x64\"\n  path     = \"out/set-${each.key}.png\"\n}\n\n", m.keys)
		b.WriteString("output \"first\" {\n  value = image.set[\"x\"].path\n}\n\n")
	}
	for i := range m.blank[name] {
		if i%2 == 0 {
			b.WriteString("\n")
		} else {
			fmt.Fprintf(&b, "# note %d\n", i)
		}
	}
	for _, blk := range m.files[name] {
		b.WriteString(blk.text())
		b.WriteString("\n")
	}
	return b.String()
}

// TestPartialRecordDifferential changes a project of many blocks in two files at random
// (prompts edited, some within the same second with the same size and their times put
// back; blocks added, deleted, renamed, moved between files; blocks writing where another
// one writes or reading its output by path; references changed; a
// referenced block edited; a for_each block's keys, which an output reads; files reverted;
// blank lines and comments; a variable's default; a syntax error; outputs deleted; applies,
// some with an image failing, some during which a prompt is edited or an output deleted, some interrupted)
// and after each change plans twice:
// with the records the plans before left in .genform/, and with none. The two must print
// the same thing and exit alike.
func TestPartialRecordDifferential(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { partialDifferential(t, seed, 60) })
	}
}

func partialDifferential(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	files := []string{"a.gen.hcl", "b.gen.hcl"}
	m := &partialModel{style: "flat", keys: `["x", "y"]`, files: map[string][]partialBlock{}, blank: map[string]int{}}
	next := 0
	newBlock := func() partialBlock {
		next++
		b := partialBlock{kind: "image", name: fmt.Sprintf("i%d", next), prompt: fmt.Sprintf("picture %d", next), size: "64x64"}
		if r.IntN(4) == 0 {
			b.kind, b.name = "chat", fmt.Sprintf("c%d", next)
			if imgs := m.blocks("image"); len(imgs) > 0 {
				b.ref = "image." + imgs[r.IntN(len(imgs))]
			}
		}
		return b
	}
	for range 24 {
		f := files[r.IntN(2)]
		m.files[f] = append(m.files[f], newBlock())
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeAll := func() {
		for _, f := range files {
			write(f, m.render(f))
		}
	}
	writeAll()
	if res := runCLI(dir, "apply", "-auto-approve"); res.code != 0 {
		t.Fatalf("first apply: %s%s", res.stdout, res.stderr)
	}
	var history []*partialModel
	pick := func() (string, int) {
		f := files[r.IntN(2)]
		if len(m.files[f]) == 0 {
			return f, -1
		}
		return f, r.IntN(len(m.files[f]))
	}
	mutations := []func() string{
		func() string { // edit a prompt
			f, i := pick()
			if i < 0 {
				return "nothing to edit"
			}
			m.files[f][i].prompt += fmt.Sprint(r.IntN(3))
			writeAll()
			return "edit " + m.files[f][i].name
		},
		func() string { // the same length within the same second, its time put back
			f, i := pick()
			if i < 0 || m.files[f][i].kind != "image" {
				return "nothing to flip"
			}
			p := filepath.Join(dir, f)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			b := &m.files[f][i]
			b.size = map[string]string{"64x64": "32x32", "32x32": "64x64"}[b.size]
			write(f, m.render(f))
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
			return "same-second size of " + b.name
		},
		func() string { // add a block
			f := files[r.IntN(2)]
			at := r.IntN(len(m.files[f]) + 1)
			b := newBlock()
			m.files[f] = slices.Insert(m.files[f], at, b)
			writeAll()
			return "add " + b.name
		},
		func() string { // delete a block
			f, i := pick()
			if i < 0 {
				return "nothing to delete"
			}
			name := m.files[f][i].name
			m.files[f] = slices.Delete(m.files[f], i, i+1)
			writeAll()
			return "delete " + name
		},
		func() string { // rename a block
			f, i := pick()
			if i < 0 {
				return "nothing to rename"
			}
			old := m.files[f][i].name
			m.files[f][i].name += "r"
			writeAll()
			return "rename " + old
		},
		func() string { // move a block to the other file
			f, i := pick()
			if i < 0 {
				return "nothing to move"
			}
			b := m.files[f][i]
			m.files[f] = slices.Delete(m.files[f], i, i+1)
			g := files[0]
			if f == g {
				g = files[1]
			}
			m.files[g] = slices.Insert(m.files[g], r.IntN(len(m.files[g])+1), b)
			writeAll()
			return "move " + b.name + " to " + g
		},
		func() string { // edit a block a chat reads
			for _, f := range files {
				for _, b := range m.files[f] {
					if b.ref == "" {
						continue
					}
					for g := range m.files {
						for j := range m.files[g] {
							if "image."+m.files[g][j].name == b.ref {
								m.files[g][j].prompt += "!"
								writeAll()
								return "edit referenced " + b.ref
							}
						}
					}
				}
			}
			return "no reference"
		},
		func() string { // point a chat at another image
			f, i := pick()
			imgs := m.blocks("image")
			if i < 0 || m.files[f][i].kind != "chat" || len(imgs) == 0 {
				return "no chat to point"
			}
			m.files[f][i].ref = "image." + imgs[r.IntN(len(imgs))]
			writeAll()
			return "point " + m.files[f][i].name + " at " + m.files[f][i].ref
		},
		func() string { // revert to an earlier project
			if len(history) == 0 {
				return "nothing to revert"
			}
			m = history[r.IntN(len(history))].clone()
			writeAll()
			return "revert"
		},
		func() string { // blank lines and comments
			f := files[r.IntN(2)]
			m.blank[f] = r.IntN(4)
			writeAll()
			return fmt.Sprintf("%d blank in %s", m.blank[f], f)
		},
		func() string { // a new block writing where another one does, or reading its output by path
			imgs := m.blocks("image")
			if len(imgs) == 0 {
				return "no image"
			}
			next++
			b := partialBlock{kind: "image", name: fmt.Sprintf("i%d", next), prompt: "x", size: "64x64"}
			other := "out/" + imgs[r.IntN(len(imgs))] + ".png"
			what := "same path as"
			if r.IntN(2) == 0 {
				b.path = other
			} else {
				b.reads, what = other, "reading"
			}
			f := files[r.IntN(2)]
			write(f, m.render(f)+b.text()) // not in the model: mended at the next write
			return fmt.Sprintf("add %s %s %s", b.name, what, other)
		},
		func() string { // the for_each block's keys
			m.keys = []string{`["x", "y"]`, `["x", "y", "z"]`, `["x"]`}[r.IntN(3)]
			writeAll()
			return "keys " + m.keys
		},
		func() string {
			m.style = []string{"flat", "bold"}[r.IntN(2)]
			writeAll()
			return "style " + m.style
		},
		func() string { // a syntax error, mended at the next write
			f := files[r.IntN(2)]
			write(f, m.render(f)+"image \"broken\" {\n")
			return "syntax error in " + f
		},
		func() string { // delete an output
			imgs := m.blocks("image")
			if len(imgs) == 0 {
				return "no output"
			}
			os.Remove(filepath.Join(dir, "out", imgs[r.IntN(len(imgs))]+".png"))
			return "delete an output"
		},
		func() string {
			res := runCLI(dir, "apply", "-auto-approve")
			return fmt.Sprintf("apply (%d)", res.code)
		},
		func() string { // an apply where one image fails (a file where its output folder goes), and the chats reading it are skipped
			var b *partialBlock
			for _, f := range files {
				for i := range m.files[f] {
					if m.files[f][i].kind == "image" && (b == nil || m.readBy("image."+m.files[f][i].name)) {
						b = &m.files[f][i]
					}
				}
			}
			if b == nil {
				return "no image to fail"
			}
			b.path = "out/" + b.name + "-dir/x.png"
			writeAll()
			os.MkdirAll(filepath.Join(dir, "out"), 0o755)
			os.RemoveAll(filepath.Join(dir, "out", b.name+"-dir"))
			os.WriteFile(filepath.Join(dir, "out", b.name+"-dir"), []byte("x"), 0o644)
			res := runCLI(dir, "apply", "-auto-approve")
			if r.IntN(2) == 0 { // unblocked after, or not
				os.Remove(filepath.Join(dir, "out", b.name+"-dir"))
			}
			return fmt.Sprintf("apply with %s failing (%d)", b.name, res.code)
		},
		func() string { // an apply during which a prompt is edited, or an output deleted
			f, i := pick()
			if i < 0 {
				return "nothing to edit during an apply"
			}
			b := &m.files[f][i]
			what := "edit " + b.name
			if r.IntN(2) == 0 {
				beforeRun = func() { b.prompt += "~"; writeAll() }
			} else {
				what = "delete the output of " + b.name
				beforeRun = func() {
					os.Remove(filepath.Join(dir, "out", b.name+".png"))
					os.Remove(filepath.Join(dir, "out", b.name+".txt"))
				}
			}
			m.files[f][r.IntN(len(m.files[f]))].prompt += "+" // something for the apply to do
			writeAll()
			res := runCLI(dir, "apply", "-auto-approve")
			beforeRun = nil
			return fmt.Sprintf("apply during which %s (%d)", what, res.code)
		},
		func() string { // an apply interrupted before it starts anything: its plan's work is not started
			f, i := pick()
			if i < 0 {
				return "nothing to interrupt"
			}
			m.files[f][i].prompt += "^"
			writeAll()
			beforeRun = func() {
				syscall.Kill(os.Getpid(), syscall.SIGINT) // apply's handler takes it: nothing new starts
				time.Sleep(50 * time.Millisecond)
			}
			res := runCLI(dir, "apply", "-auto-approve")
			beforeRun = nil
			return fmt.Sprintf("apply interrupted (%d)", res.code)
		},
	}
	record := filepath.Join(dir, ".genform", "partial.gob")
	var log []string
	used, afterApply := 0, 0
	for step := 0; step < steps; step++ {
		history = append(history, m.clone())
		if r.IntN(3) == 0 && m.heal() {
			writeAll()
			log = append(log, "heal")
		}
		what := mutations[r.IntN(len(mutations))]()
		log = append(log, what)
		before, hadRecord := os.Stat(record)
		with := runCLI(dir, "plan")
		if after, err := os.Stat(record); hadRecord == nil && err == nil && os.SameFile(before, after) &&
			with.code == 0 && with.stderr == "" && !strings.Contains(with.stdout, "No changes") {
			used++ // the record was read, not written again, and the plan had changes
			if strings.HasPrefix(what, "apply") {
				afterApply++ // the record an apply left
			}
		}
		kept := map[string][]byte{}
		for _, name := range []string{"partial.gob", "noop.json", "noop.json.outputs"} {
			if b, err := os.ReadFile(filepath.Join(dir, ".genform", name)); err == nil {
				kept[name] = b
			}
			os.Remove(filepath.Join(dir, ".genform", name))
		}
		without := runCLI(dir, "plan")
		if with != without {
			t.Fatalf("after %s\nwith the records:\n%d %s%s\nwithout:\n%d %s%s", strings.Join(log, "; "),
				with.code, with.stdout, with.stderr, without.code, without.stdout, without.stderr)
		}
		for _, name := range []string{"partial.gob", "noop.json", "noop.json.outputs"} {
			os.Remove(filepath.Join(dir, ".genform", name))
			if b, ok := kept[name]; ok {
				os.WriteFile(filepath.Join(dir, ".genform", name), b, 0o644)
			}
		}
		time.Sleep(time.Duration(r.IntN(3)) * time.Millisecond)
	}
	if used == 0 {
		t.Fatalf("the partial record was never used (%s)", strings.Join(log, "; "))
	}
	t.Logf("partial record used %d times in %d steps, %d of them right after an apply", used, steps, afterApply)
}

// heal points every chat that reads an image no longer declared at the first image (or at
// none), so a project broken by a delete or a rename plans again; it reports whether it
// changed anything.
func (m *partialModel) heal() bool {
	imgs := m.blocks("image")
	declared := map[string]bool{}
	for _, n := range imgs {
		declared["image."+n] = true
	}
	changed := false
	for _, f := range slices.Sorted(maps.Keys(m.files)) {
		for i, b := range m.files[f] {
			if b.ref != "" && !declared[b.ref] {
				m.files[f][i].ref = ""
				if len(imgs) > 0 {
					m.files[f][i].ref = "image." + imgs[0]
				}
				changed = true
			}
		}
	}
	return changed
}

// readBy reports whether a chat reads the block addr.
func (m *partialModel) readBy(addr string) bool {
	for _, bs := range m.files {
		for _, b := range bs {
			if b.ref == addr {
				return true
			}
		}
	}
	return false
}

// blocks lists the names of the blocks of a kind.
func (m *partialModel) blocks(kind string) []string {
	var out []string
	for _, f := range slices.Sorted(maps.Keys(m.files)) {
		for _, b := range m.files[f] {
			if b.kind == kind {
				out = append(out, b.name)
			}
		}
	}
	return out
}

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
	kept := map[string][]byte{}
	for _, name := range []string{"partial.gob", "noop.json", "noop.json.outputs"} {
		if b, err := os.ReadFile(filepath.Join(dir, ".genform", name)); err == nil {
			kept[name] = b
		}
		os.Remove(filepath.Join(dir, ".genform", name))
	}
	without := runCLI(dir, "plan")
	if with != without {
		t.Fatalf("with the records:\n%d %s%s\nwithout:\n%d %s%s", with.code, with.stdout, with.stderr, without.code, without.stdout, without.stderr)
	}
	for name, b := range kept {
		os.WriteFile(filepath.Join(dir, ".genform", name), b, 0o644)
	}
	return with, used
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
func TestApplyPartialRecord(t *testing.T) {
	dir := t.TempDir()
	conf := func(prompt string) {
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
