package main

// This file holds genform fmt: canonical formatting of *.gen.hcl files, with -check and a
// unified -diff.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/genform/genform/schema"
	"github.com/genform/genform/textdiff"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// fmtTarget is one file fmt formats: where it is, and the name it is shown by.
type fmtTarget struct{ path, name string }

func cmdFmt(c *cli, args []string) int {
	fs := newFlags(c, "fmt", "[-check] [-diff] [FILES...]")
	check := fs.Bool("check", false, "list the files whose formatting differs and exit 3, changing nothing")
	diff := fs.Bool("diff", false, "print the changes as a unified diff")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	targets, err := c.fmtTargets(fs.Args())
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	files := map[string]*hcl.File{}
	var diags hcl.Diagnostics
	changed := 0
	for _, t := range targets {
		src, err := os.ReadFile(t.path)
		if err != nil {
			c.ui().Error(err)
			return 1
		}
		f, ds := hclsyntax.ParseConfig(src, t.name, hcl.InitialPos)
		if ds.HasErrors() {
			files[t.name] = f
			diags = append(diags, ds...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		changed++
		fmt.Fprintln(c.stdout, t.name)
		if *diff {
			fmt.Fprint(c.stdout, textdiff.Unified(t.name, src, out))
		}
		if !*check {
			if err := writeFileAtomic(t.path, out); err != nil {
				c.ui().Error(err)
				return 1
			}
		}
	}
	if c.ui().Diagnostics(diags, files) {
		return 1
	}
	if *check && changed > 0 {
		return 3
	}
	return 0
}

// fmtTargets lists the files to format: the *.gen.hcl files of the project folder when
// args is empty; else each file named, and the *.gen.hcl files of each folder named. Names
// are relative to the project folder.
func (c *cli) fmtTargets(args []string) ([]fmtTarget, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	var out []fmtTarget
	for _, arg := range args {
		p := arg
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, arg)
		}
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot format %s: there is no such file or folder (names are relative to the project folder)", arg)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot format %s: %w", arg, err)
		}
		if !fi.IsDir() {
			if strings.HasSuffix(arg, ".json") {
				return nil, fmt.Errorf("%s is in JSON syntax; fmt formats the native syntax (*%s)", arg, schema.SuffixHCL)
			}
			out = append(out, fmtTarget{path: p, name: arg})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %w", arg, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), schema.SuffixHCL) {
				continue
			}
			name := e.Name()
			if arg != "." {
				name = filepath.Join(arg, name)
			}
			out = append(out, fmtTarget{path: filepath.Join(p, e.Name()), name: name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
