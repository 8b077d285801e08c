package remote_test

import (
	"context"
	"testing"

	"github.com/genform/genform/remote"
	"github.com/genform/genform/remote/dir"
)

// A Cache that listed its store sees what another process uploaded since only after Refresh.
func TestRefreshSeesOthersUploads(t *testing.T) {
	ctx := context.Background()
	folder := t.TempDir()
	open := func() *remote.Cache {
		st, err := dir.Open(folder)
		if err != nil {
			t.Fatal(err)
		}
		return remote.New(st)
	}
	reader, writer := open(), open()
	local := openLocal(t)
	rec := result(t, local, "late", []byte("made by another runner"))
	if got, err := reader.Lookup(ctx, []string{rec.InputHash}, nil); err != nil || len(got) != 0 {
		t.Fatalf("lookup before the upload: %v, %v", got, err)
	}
	if err := writer.Upload(ctx, rec, local); err != nil {
		t.Fatal(err)
	}
	if got, _ := reader.Lookup(ctx, []string{rec.InputHash}, nil); len(got) != 0 {
		t.Fatalf("the listing was not kept: %v", got) // what Refresh is for
	}
	reader.Refresh()
	got, err := reader.Lookup(ctx, []string{rec.InputHash}, nil)
	if err != nil || got[rec.InputHash] == nil || got[rec.InputHash].Output.SHA256 != rec.Output.SHA256 {
		t.Fatalf("lookup after Refresh: %v, %v", got, err)
	}
}
