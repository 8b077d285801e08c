package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// checkRelPath reports a path that is absolute or, once cleaned, leaves the project folder.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("path is empty")
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) ||
		(len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("path %q is absolute; paths are relative to the project folder", p)
	}
	clean := cleanRel(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("path %q leaves the project folder", p)
	}
	return nil
}

// cleanRel cleans a relative path and makes it slash-separated.
func cleanRel(p string) string { return path.Clean(filepath.ToSlash(p)) }

// resolve turns a project-relative path into an absolute one, refusing a path that is
// absolute, leaves the project folder, or goes through a symlink that leads outside it. A
// path that does not exist is not an error here.
func (c *Config) resolve(p string) (abs, rel string, err error) {
	abs, rel, _, err = c.resolveStat(p)
	return abs, rel, err
}

// resolveStat is resolve, with what is at the path now (nil when nothing is).
func (c *Config) resolveStat(p string) (abs, rel string, fi fs.FileInfo, err error) {
	if err := checkRelPath(p); err != nil {
		return "", "", nil, err
	}
	rel = cleanRel(p)
	abs = filepath.Join(c.realDir, filepath.FromSlash(rel))
	if rel == "." {
		return abs, rel, nil, nil
	}
	if !c.dirInside(filepath.Dir(abs)) {
		return "", "", nil, fmt.Errorf("path %q goes through a symlink that leaves the project folder", p)
	}
	fi, err = os.Lstat(abs)
	if err != nil {
		return abs, rel, nil, nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err == nil && !c.within(real) {
			return "", "", nil, fmt.Errorf("path %q is a symlink that leaves the project folder", p)
		}
	}
	return abs, rel, fi, nil
}

// within tells whether an absolute, symlink-free path is the project folder or inside it.
func (c *Config) within(real string) bool {
	return real == c.realDir || strings.HasPrefix(real, c.realDir+string(filepath.Separator))
}

// dirInside tells whether dir, an absolute folder under the project folder, resolves inside
// it. A folder that does not exist yet is judged by its nearest existing parent. Folders
// found inside are remembered for the life of the Config.
func (c *Config) dirInside(dir string) bool {
	if dir == c.realDir {
		return true
	}
	if _, ok := c.files.dirs.Load(dir); ok {
		return true
	}
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// A folder that does not exist yet (out/ before the first apply) is created by
		// genform as a plain folder; remember it too, or every instance would walk it again.
		parent := filepath.Dir(dir)
		if parent == dir || !c.within(parent) || !c.dirInside(parent) {
			return false
		}
	} else if err != nil || !c.within(real) {
		return false
	}
	c.files.dirs.Store(dir, struct{}{})
	return true
}

// fixedError is an output path error whose message says how to fix it already.
type fixedError struct{ msg string }

func (e *fixedError) Error() string { return e.msg }

func withFix(format string, args ...any) error {
	return &fixedError{msg: fmt.Sprintf(format, args...)}
}

// checkOutputPath checks an asset's path: relative, inside the project folder (symlinks
// included), and not one of genform's own files.
func (c *Config) checkOutputPath(p string) error {
	switch {
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte, which no file name can", p)
	case strings.HasSuffix(p, "/") || strings.HasSuffix(p, `\`) || strings.HasSuffix(p, "/."):
		return withFix("path %q names a folder; give a file name", p)
	}
	abs, rel, fi, err := c.resolveStat(p)
	if err != nil {
		return err
	}
	c.reads.output(rel, outputKind(abs, fi))
	if fi != nil && fi.IsDir() {
		return withFix("path %q is a folder that exists; move the folder away, or give another file name", p)
	}
	switch {
	case rel == ".":
		return withFix("path %q is the project folder itself; give a file name", p)
	case rel == ".genform" || strings.HasPrefix(rel, ".genform/"):
		return fmt.Errorf("path %q is inside .genform/, genform's working folder", p)
	case rel == c.Settings.StatePath:
		return fmt.Errorf("path %q is the state file", p)
	case strings.HasSuffix(rel, SuffixHCL) || strings.HasSuffix(rel, SuffixJSON):
		return fmt.Errorf("path %q would be read as configuration", p)
	}
	return nil
}

// OutputKind is what is at the output path rel of the project folder projectDir now, as an
// output path's check sees it: "" nothing, "file", "dir", "link TARGET" (a symbolic link
// and where it points), or "other". Each answer is checked alike, so a record of a check
// (Reads.Outputs) still holds while the answer is the same.
func OutputKind(projectDir, rel string) string {
	abs := filepath.Join(projectDir, filepath.FromSlash(rel))
	fi, err := os.Lstat(abs)
	if err != nil {
		fi = nil
	}
	return outputKind(abs, fi)
}

// outputKind is OutputKind of what Lstat found at abs (nil: nothing).
func outputKind(abs string, fi fs.FileInfo) string {
	switch {
	case fi == nil:
		return ""
	case fi.Mode().IsRegular():
		return "file"
	case fi.IsDir():
		return "dir"
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(abs)
		if err != nil {
			return "other"
		}
		return "link " + target
	}
	return "other"
}

// fileEntry caches one file's contents for the Load, re-read when its size or modification
// time changes (an apply may rewrite a file a later instance reads).
type fileEntry struct {
	mu  sync.Mutex
	cur *fileData
}

type fileData struct {
	size, mtime int64
	data        []byte

	sumOnce sync.Once
	sum     string

	tmplOnce  sync.Once
	tmpl      hcl.Expression
	tmplDiags hcl.Diagnostics
}

func (fd *fileData) sha256() string {
	fd.sumOnce.Do(func() {
		h := sha256.Sum256(fd.data)
		fd.sum = hex.EncodeToString(h[:])
	})
	return fd.sum
}

func (fd *fileData) template(rel string) (hcl.Expression, hcl.Diagnostics) {
	fd.tmplOnce.Do(func() {
		fd.tmpl, fd.tmplDiags = hclsyntax.ParseTemplate(fd.data, rel, hcl.InitialPos)
	})
	return fd.tmpl, fd.tmplDiags
}

// readFile returns the contents of the project file at p, from the cache when it is current.
func (c *Config) readFile(p string) (*fileData, string, error) {
	abs, rel, err := c.resolve(p)
	if err != nil {
		return nil, "", err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("no file exists at %q", p)
	case err != nil:
		return nil, "", fmt.Errorf("cannot read %q: %w", p, err)
	case fi.IsDir():
		return nil, "", fmt.Errorf("%q is a folder, not a file", p)
	case !fi.Mode().IsRegular(): // a FIFO or a device would block or never end
		return nil, "", fmt.Errorf("%q is not a regular file", p)
	}
	c.files.mu.Lock()
	e := c.files.entries[abs]
	if e == nil {
		e = &fileEntry{}
		c.files.entries[abs] = e
	}
	c.files.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if fd := e.cur; fd != nil && fd.size == fi.Size() && fd.mtime == fi.ModTime().UnixNano() {
		c.reads.file(rel, fd.sha256())
		return fd, rel, nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read %q: %w", p, err)
	}
	e.cur = &fileData{size: fi.Size(), mtime: fi.ModTime().UnixNano(), data: data}
	c.reads.file(rel, e.cur.sha256())
	return e.cur, rel, nil
}

// fileExists tells whether p is a regular file of the project.
func (c *Config) fileExists(p string) (bool, string, error) {
	abs, rel, err := c.resolve(p)
	if err != nil {
		return false, "", err
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.reads.exists(rel, false)
		return false, rel, nil
	case err != nil:
		return false, rel, fmt.Errorf("cannot check %q: %w", p, err)
	case !fi.Mode().IsRegular():
		return false, rel, fmt.Errorf("%q is not a regular file", p)
	}
	c.reads.exists(rel, true)
	return true, rel, nil
}

// fileSet lists the files under dir matching pattern (doublestar ** globs), relative to dir,
// sorted. Files reached through a symlink that leaves the project are left out.
func (c *Config) fileSet(dir, pattern string) ([]string, error) {
	abs, _, err := c.resolve(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("no folder exists at %q", dir)
	}
	if !doublestarValid(pattern) {
		return nil, fmt.Errorf("invalid pattern %q", pattern)
	}
	matches, err := doublestarGlob(abs, pattern)
	if err != nil {
		return nil, fmt.Errorf("cannot list %q: %w", dir, err)
	}
	out := matches[:0]
	for _, m := range matches {
		full := filepath.Join(abs, filepath.FromSlash(m))
		if !c.dirInside(filepath.Dir(full)) {
			continue
		}
		if real, err := filepath.EvalSymlinks(full); err != nil || !c.within(real) {
			continue
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out, nil
}

// recorder collects the project files one evaluation reads.
type recorder struct{ files map[string]struct{} }

func (r *recorder) add(rel string) {
	if r == nil {
		return
	}
	if r.files == nil {
		r.files = map[string]struct{}{}
	}
	r.files[rel] = struct{}{}
}

func (r *recorder) list() []string {
	if r == nil || len(r.files) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(r.files))
}
