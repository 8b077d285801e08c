// Package dir is a shared output cache in a folder: a network share, a mounted volume, or
// any path several clones can reach. Objects appear by atomic rename of a fully written and
// checked temporary file, so a reader never sees half an object and two writers of the same
// key at once both succeed with the same content.
package dir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/genform/genform/remote"
)

// Store is a shared cache folder.
type Store struct {
	root string
}

// Open opens the shared cache folder root, which must exist: genform never makes it, so
// with a network share not mounted uploads fail instead of going to a local folder unseen.
// Nothing is written until the first Put: a plan never writes to it.
func Open(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("the shared cache folder %s must be an absolute path", root)
	}
	if err := checkRoot(root); err != nil {
		return nil, err
	}
	return &Store{root: root}, nil
}

// checkRoot says why root is no usable shared cache folder, or nil.
func checkRoot(root string) error {
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the folder %s does not exist: create it, or mount the share it is on (genform never makes it, so that results cannot land in a local folder by mistake)", root)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a folder: give path a folder every clone reaches", root)
	}
	return nil
}

func (s *Store) String() string { return s.root }

func (s *Store) path(key string) (string, error) {
	clean := path.Clean(key)
	if clean != key || strings.HasPrefix(key, "/") || strings.HasPrefix(key, "../") || key == ".." || strings.HasPrefix(key, "tmp/") {
		return "", fmt.Errorf("bad shared cache key %q", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// List walks the folder under prefix (a folder prefix ending in /).
func (s *Store) List(ctx context.Context, prefix string, fn func(remote.Object) error) error {
	dir := filepath.Join(s.root, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile, or nothing stored yet
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		return fn(remote.Object{Key: filepath.ToSlash(rel), Size: fi.Size(), Modified: fi.ModTime()})
	})
	return err
}

// Get opens an object.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Put writes r to a temporary file, checks its size and sha256, syncs it and renames it into
// place.
func (s *Store) Put(ctx context.Context, key string, r io.ReadSeeker, size int64, sum string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := checkRoot(s.root); err != nil { // unmounted since Open: never remake it
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.root, "tmp"), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return err
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, size+1)})
	switch {
	case err != nil:
		return fail(err)
	case n != size:
		return fail(fmt.Errorf("writing %s: got %d bytes, want %d", key, n, size))
	case sum != "" && hex.EncodeToString(h.Sum(nil)) != sum:
		return fail(fmt.Errorf("writing %s: the bytes do not match sha256 %s", key, sum))
	}
	if err := tmp.Chmod(0o444); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Delete removes an object.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
