package gallery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/state"
)

// mediaStore copies the files a gallery shows into its media folder, each once, named by
// content: media/<sha256><ext>. A copy comes from the output file when it still holds that
// content, else from the cache; every byte is checked against the sha256 on the way.
type mediaStore struct {
	project string       // the project folder
	cache   *state.Cache // may be nil
	dir     string       // <out>/media
	done    map[string]string
}

// get returns the page's relative link to the file with this sha256, copying it when needed;
// "" when it is nowhere to be found. rel is the project-relative path that may hold it.
func (m *mediaStore) get(sha, ext, rel string) (string, error) {
	if !shaPattern.MatchString(sha) {
		return "", nil
	}
	name := sha + ext
	if src, ok := m.done[name]; ok {
		return src, nil
	}
	found, err := m.fetch(sha, rel, filepath.Join(m.dir, name))
	if err != nil {
		return "", err
	}
	src := ""
	if found {
		src = "media/" + name
	}
	m.done[name] = src
	return src, nil
}

func (m *mediaStore) fetch(sha, rel, dst string) (bool, error) {
	if fi, err := os.Stat(dst); err == nil && fi.Mode().IsRegular() {
		return true, nil // named by content and written by rename: complete
	}
	if rel != "" {
		// A state file comes from a pull request: its paths must stay in the project.
		if abs, err := engine.InsideProject(m.project, filepath.FromSlash(rel)); err == nil {
			if ok, err := copyChecked(abs, dst, sha); ok || err != nil {
				return ok, err
			}
		}
	}
	if m.cache == nil || !m.cache.Has(sha) {
		return false, nil
	}
	err := m.cache.Restore(sha, dst)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, state.ErrCorrupt):
		return false, nil
	}
	return false, err
}

// copyChecked copies src to dst (temporary file, then rename) if its content has this sha256.
// A missing or unreadable src, or one with other content, is false with no error.
func copyChecked(src, dst, sha string) (bool, error) {
	in, err := os.Open(src)
	if err != nil {
		return false, nil
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return false, fmt.Errorf("copying %s: %w", src, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && pe.Path == src:
		return false, nil // reading the source failed: use the cache
	case err != nil:
		return false, fmt.Errorf("copying %s: %w", src, err)
	case hex.EncodeToString(h.Sum(nil)) != sha:
		return false, nil // changed on disk since it was recorded
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), dst)
}

// prune removes the copies an earlier run left that this page no longer shows, and temporary
// files of an interrupted run. Only names the store makes are touched.
func (m *mediaStore) prune() {
	entries, _ := os.ReadDir(m.dir)
	for _, e := range entries {
		name := e.Name()
		keep := m.done[name] != ""
		if !keep && (mediaName.MatchString(name) || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")) {
			os.Remove(filepath.Join(m.dir, name))
		}
	}
}

var (
	shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaName  = regexp.MustCompile(`^[0-9a-f]{64}(\.[a-z0-9]{1,5})?$`)
	extPattern = regexp.MustCompile(`^\.[a-z0-9]{1,5}$`)
)

// mediaExt is the extension a copy is named with: the output path's, else the media type's.
func mediaExt(p, mediaType string) string {
	if e := strings.ToLower(path.Ext(p)); extPattern.MatchString(e) {
		return e
	}
	return asset.Ext(mediaType)
}

// mediaType is how the page shows a file: a GIF video is an <img>.
func mediaType(ext string) string {
	switch m, _ := asset.ByExt(ext); m.Kind {
	case asset.Image:
		return "img"
	case asset.Video:
		return "video"
	}
	return "file"
}
