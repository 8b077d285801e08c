package dir_test

import (
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
