package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/genform/genform/state"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
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

func convertTo(v cty.Value, ty cty.Type) (cty.Value, error) {
	return convert.Convert(v, ty)
}
