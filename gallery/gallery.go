// Package gallery writes genform's review page: a static page of every generated asset, and of
// what a saved plan changes, with before and after side by side and the prompt diff under each. The page is one
// self-contained index.html (inline style and script, no network resources) with the media
// copied beside it under media/<sha256><ext> and linked relatively, so the folder can be
// uploaded as a CI artifact and opened anywhere. The page is built from the state, the output
// files and the content-addressed cache; it never calls a provider. Flags and printing are
// left to the gallery command in package main.
package gallery

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

//go:embed index.html.tmpl gallery.css gallery.js
var galleryAssets embed.FS

// galleryMarker is in every page genform writes: an index.html without it is not overwritten.
const galleryMarker = `<meta name="generator" content="genform gallery">`

// Options are the choices of genform gallery and apply -gallery.
type Options struct {
	Out     string            // folder to write, relative to the project; "" is .genform/gallery
	Changed bool              // only the instances the plan changes
	Applied bool              // the plan was just applied (apply -gallery)
	Failed  map[string]string // address -> error message, from the apply that just ran
}

// Failures lists an apply's failures by address, for Options.Failed.
func Failures(sum *engine.Summary) map[string]string {
	m := map[string]string{}
	for _, f := range sum.Failures {
		m[f.Addr] = f.Err.Error()
	}
	return m
}

// Moved reports whether the state was written since the plan was made: the plan was
// applied, at least in part.
func Moved(st *state.File, exists bool, pl *planfile.File) bool {
	if pl.Lineage == "" { // planned when there was no state file
		return exists
	}
	return st.Lineage != pl.Lineage || st.Serial != pl.Serial
}

// Input is what a gallery is made from.
type Input struct {
	Dir   string         // the project folder, absolute
	State *state.File    //
	Cache *state.Cache   // earlier outputs by sha256; may be nil
	Plan  *planfile.File // nil: the state alone
	Moved bool           // the state was written since Plan was made
}

// Write writes index.html and the media it shows into the output folder and returns
// the absolute path of index.html.
func Write(in Input, opts Options) (string, error) {
	out := cmp.Or(opts.Out, filepath.Join(".genform", "gallery"))
	if !filepath.IsAbs(out) {
		out = filepath.Join(in.Dir, out)
	}
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
	css, err := galleryAssets.ReadFile("gallery.css")
	if err != nil {
		return nil, err
	}
	js, err := galleryAssets.ReadFile("gallery.js")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"css": func() template.CSS { return template.CSS(css) }, // our own files, not user text
		"js":  func() template.JS { return template.JS(js) },
	}
	return template.New("index.html.tmpl").Funcs(funcs).ParseFS(galleryAssets, "index.html.tmpl")
})
