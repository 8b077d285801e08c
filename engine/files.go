package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// fileHasher hashes input files by project-relative name, through the stat cache when there
// is one, and remembers each answer for the rest of the run.
type fileHasher struct {
	dir  string
	stat *state.StatCache // nil: read every file once per run

	mu   sync.Mutex
	seen map[string]string
}

func newFileHasher(dir string, stat *state.StatCache) *fileHasher {
	return &fileHasher{dir: dir, stat: stat, seen: map[string]string{}}
}

func (h *fileHasher) hash(name string) (string, error) {
	h.mu.Lock()
	sha, ok := h.seen[name]
	h.mu.Unlock()
	if ok {
		return sha, nil
	}
	abs := filepath.Join(h.dir, filepath.FromSlash(name))
	var err error
	if h.stat != nil {
		sha, _, err = h.stat.Hash(abs)
	} else {
		sha, err = hashFile(abs)
	}
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	h.seen[name] = sha
	h.mu.Unlock()
	return sha, nil
}

// forget drops what the hasher knows of name: the file is about to be rewritten.
func (h *fileHasher) forget(name string) {
	h.mu.Lock()
	delete(h.seen, name)
	h.mu.Unlock()
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	hh := sha256.New()
	if _, err := io.Copy(hh, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(hh.Sum(nil)), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hashFiles hashes every input file of req. Files that are outputs of this plan come from
// the plan (a restored upstream's hash); upstream lists those that will be generated.
func (p *planner) hashFiles(in *instance, req *request) (files map[string]string, upstream []string) {
	files = make(map[string]string, len(req.files))
	for _, name := range req.files {
		if sha, ok := p.output(name); ok {
			if sha == "" {
				upstream = append(upstream, name)
				continue
			}
			files[name] = sha
			continue
		}
		sha, err := p.files.hash(name)
		if err != nil {
			in.report(hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Input file not readable",
				Detail:   fmt.Sprintf("%s reads %s, which cannot be read: %v. Create the file, or fix the path.", in.si.Addr, name, unwrapPathError(err)),
				Subject:  fileAttrRange(in.si.Asset),
			}})
			continue
		}
		files[name] = sha
	}
	return files, upstream
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func fileAttrRange(a *schema.Asset) *hcl.Range {
	for _, name := range []string{"references", "reference", "mask", "prompt"} {
		if at := a.Attrs[name]; at != nil {
			r := at.Expr.Range()
			return &r
		}
	}
	return &a.DeclRange
}

// hashInput builds what the input hash covers: file names in file attributes are replaced by
// their content hashes, so renaming a reference file changes nothing.
func (p *planner) hashInput(in *instance, model string, fields map[string]any, files map[string]string) *hashInput {
	req := make(map[string]any, len(fields))
	read := map[string]string{}
	for k, v := range fields {
		if !asset.IsFile(k) {
			req[k] = v
			continue
		}
		switch x := v.(type) {
		case string:
			req[k] = files[path.Clean(x)]
		case []any:
			shas := make([]any, len(x))
			for i, e := range x {
				if s, ok := e.(string); ok {
					shas[i] = files[path.Clean(s)]
				}
			}
			req[k] = shas
		}
	}
	named := map[string]bool{}
	for _, f := range in.req.req.References {
		named[f.Name] = true
	}
	if f := in.req.req.Mask; f != nil {
		named[f.Name] = true
	}
	if f := in.req.req.Reference; f != nil {
		named[f.Name] = true
	}
	for name, sha := range files {
		if !named[name] {
			read[name] = sha
		}
	}
	return &hashInput{
		Kind:     in.si.Asset.Kind,
		Provider: in.provType,
		Model:    model,
		Key:      keyValue(in.si.Key),
		Format:   strings.ToLower(path.Ext(in.req.path)),
		Request:  req,
		Files:    read,
	}
}

// fillFiles sets the absolute path and hash of every input file the request names, where
// known.
func (p *planner) fillFiles(q *providers.Request) {
	fill := func(f *providers.File) {
		f.Path = filepath.Join(p.cfg.Dir, filepath.FromSlash(f.Name))
		if sha, ok := p.output(f.Name); ok && sha != "" {
			f.SHA256 = sha
		} else if sha, err := p.files.hash(f.Name); err == nil {
			f.SHA256 = sha
		}
	}
	for i := range q.References {
		fill(&q.References[i])
	}
	if q.Mask != nil {
		fill(q.Mask)
	}
	if q.Reference != nil {
		fill(q.Reference)
	}
}
