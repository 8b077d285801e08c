package main

// genform gallery: a static review page of every generated asset, and of what a saved plan
// changes, with before and after side by side and the prompt diff under each. The page is one
// self-contained index.html (inline style and script, no network resources) with the media
// copied beside it under media/<sha256><ext> and linked relatively, so the folder can be
// uploaded as a CI artifact and opened anywhere. The page is built from the state, the output
// files and the content-addressed cache; it never calls a provider.

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
)

//go:embed gallery/index.html.tmpl gallery/gallery.css gallery/gallery.js
var galleryAssets embed.FS

// galleryMarker is in every page genform writes: an index.html without it is not overwritten.
const galleryMarker = `<meta name="generator" content="genform gallery">`

// galleryOptions are the choices of genform gallery and apply -gallery.
type galleryOptions struct {
	Out     string            // folder to write, relative to the project; "" is .genform/gallery
	Changed bool              // only the instances the plan changes
	Applied bool              // the plan was just applied (apply -gallery)
	Failed  map[string]string // address -> error message, from the apply that just ran
}

func cmdGallery(c *cli, args []string) int {
	fs := newFlags(c, "gallery", "[-out DIR] [-plan PLANFILE] [-changed]")
	out := fs.String("out", "", "write the page into `DIR` (default .genform/gallery)")
	planPath := fs.String("plan", "", "show what the saved plan `PLANFILE` changes, before and after")
	changed := fs.Bool("changed", false, "show only the instances the plan changes (needs -plan)")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "gallery takes no arguments")
	}
	if *changed && *planPath == "" {
		return c.usageError(fs, "-changed needs -plan PLANFILE: without a plan nothing is changed")
	}
	p, ok := c.stateOnly()
	if !ok {
		return 1
	}
	var plan *planfile.File
	if *planPath != "" {
		var err error
		if plan, err = planfile.Read(projectPath(p.dir, *planPath)); err != nil {
			fmt.Fprintf(c.stderr, "Error: %v\n", err)
			return 1
		}
	}
	cache, err := state.OpenCache(p.work("cache"))
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return 1
	}
	p.cache = cache
	index, err := writeGallery(p, plan, galleryOptions{Out: *out, Changed: *changed})
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: writing the gallery: %v\n", err)
		return 1
	}
	fmt.Fprintln(c.stdout, displayPath(index))
	return 0
}

// writeGallery writes the gallery of p's state (p.st, with p.cache for earlier outputs; p.cache
// may be nil) and, when plan is not nil, of what the plan changes. It returns the absolute
// path of index.html. apply -gallery calls it after the state is written, with
// planfile.New(plan) and galleryOptions{Applied: true, Failed: galleryFailures(summary)}.
func writeGallery(p *project, plan *planfile.File, opts galleryOptions) (string, error) {
	in := galleryInput{Dir: p.dir, State: p.st, Cache: p.cache, Plan: plan}
	if plan != nil {
		in.Moved = opts.Applied || stateMoved(p.st, p.stExists, plan)
	}
	return renderGallery(in, opts)
}

// galleryFailures lists an apply's failures by address.
func galleryFailures(sum *engine.Summary) map[string]string {
	m := map[string]string{}
	for _, f := range sum.Failures {
		m[f.Addr] = f.Err.Error()
	}
	return m
}

// stateMoved reports whether the state was written since the plan was made: the plan was
// applied, at least in part.
func stateMoved(st *state.File, exists bool, pl *planfile.File) bool {
	if pl.Lineage == "" { // planned when there was no state file
		return exists
	}
	return st.Lineage != pl.Lineage || st.Serial != pl.Serial
}

// projectPath resolves a path the user typed: relative paths are in the project folder
// (-chdir), as plan -out writes them.
func projectPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// displayPath shortens an absolute path to one relative to the working folder when it is
// inside it.
func displayPath(abs string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
			return rel
		}
	}
	return abs
}

// galleryInput is what a gallery is made from.
type galleryInput struct {
	Dir   string         // the project folder, absolute
	State *state.File    //
	Cache *state.Cache   // earlier outputs by sha256; may be nil
	Plan  *planfile.File // nil: the state alone
	Moved bool           // the state was written since Plan was made
}

// renderGallery writes index.html and the media it shows into the output folder and returns
// the absolute path of index.html.
func renderGallery(in galleryInput, opts galleryOptions) (string, error) {
	out := projectPath(in.Dir, cmp.Or(opts.Out, filepath.Join(".genform", "gallery")))
	index := filepath.Join(out, "index.html")
	if err := checkOverwrite(index); err != nil {
		return "", err
	}
	store := &mediaStore{project: in.Dir, cache: in.Cache, dir: filepath.Join(out, "media"), done: map[string]string{}}
	if err := os.MkdirAll(store.dir, 0o755); err != nil {
		return "", err
	}
	b := &galleryBuilder{in: in, opts: opts, store: store}
	page, err := b.page()
	if err != nil {
		return "", err
	}
	tmpl, err := galleryTemplate()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, page); err != nil {
		return "", fmt.Errorf("rendering the page: %w", err)
	}
	if err := state.WriteFileAtomic(index, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	store.prune()
	abs, err := filepath.Abs(index)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// checkOverwrite refuses to replace an index.html that genform did not write.
func checkOverwrite(index string) error {
	f, err := os.Open(index)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	if !bytes.Contains(head[:n], []byte(galleryMarker)) {
		return fmt.Errorf("%s exists and was not written by genform gallery; choose another folder with -out", index)
	}
	return nil
}

var galleryTemplate = sync.OnceValues(func() (*template.Template, error) {
	css, err := galleryAssets.ReadFile("gallery/gallery.css")
	if err != nil {
		return nil, err
	}
	js, err := galleryAssets.ReadFile("gallery/gallery.js")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"css": func() template.CSS { return template.CSS(css) }, // our own files, not user text
		"js":  func() template.JS { return template.JS(js) },
	}
	return template.New("index.html.tmpl").Funcs(funcs).ParseFS(galleryAssets, "gallery/index.html.tmpl")
})
