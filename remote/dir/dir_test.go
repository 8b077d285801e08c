package dir_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genform/genform/remote/dir"
	"github.com/genform/genform/remote/remotetest"
)

func TestConformance(t *testing.T) {
	s, err := dir.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	remotetest.Conformance(t, s)
}

func TestRelativePathRefused(t *testing.T) {
	if _, err := dir.Open("shared/cache"); err == nil {
		t.Fatal("a relative shared cache folder was accepted")
	}
}

// A folder that does not exist (a network share not mounted) is refused, at Open and at Put,
// and never made: uploads must not land in a local folder unseen.
func TestMissingFolderRefused(t *testing.T) {
	root := filepath.Join(t.TempDir(), "share")
	if _, err := dir.Open(root); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open of a missing folder: %v, want 'does not exist'", err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := dir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(root) // unmounted after Open
	data := "hello"
	if err := s.Put(context.Background(), "cas/x", strings.NewReader(data), int64(len(data)), ""); err == nil {
		t.Fatal("Put into a folder gone since Open succeeded")
	}
	if _, err := os.Stat(root); err == nil {
		t.Fatal("Put made the missing shared cache folder")
	}
}
