package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
				if self, err := os.FindProcess(os.Getpid()); err == nil {
					self.Signal(os.Interrupt) // apply's handler takes it: nothing new starts
				}
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
		kept := setRecordsAside(dir)
		without := runCLI(dir, "plan")
		if with != without {
			t.Fatalf("after %s\nwith the records:\n%d %s%s\nwithout:\n%d %s%s", strings.Join(log, "; "),
				with.code, with.stdout, with.stderr, without.code, without.stdout, without.stderr)
		}
		putRecordsBack(dir, kept)
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
