package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/genform/genform/state"
)

// A paid image whose download fails (here: over the size cap) keeps its download link as a
// receipt: plan says it downloads again, already paid, and the next apply does so without a
// second paid request.
func TestFailedDownloadKeepsReceipt(t *testing.T) {
	gw := gatetest.New(gatetest.Options{Key: "test-key"})
	defer gw.Close()
	project := func(limit string) string {
		return fmt.Sprintf(`
provider "wisdomgate" {
  base_url        = %q
  api_key         = "test-key"
  max_image_bytes = %s
}

image "poster" {
  model  = "grok-4-image"
  prompt = "A poster for the receipts test"
  path   = "out/poster.png"
}
`, gw.URL, limit)
	}
	dir := crashProject(t, project("100"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	first := startGenform(ctx, t, dir, "apply", "-auto-approve")
	first.wait(t, 1)
	if !strings.Contains(first.stderr.String(), "max_image_bytes") {
		t.Fatalf("the apply did not fail on the cap:\n%s", first.stderr.String())
	}
	st, err := state.Read(filepath.Join(dir, "genform.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if j := st.Jobs["image.poster"]; j == nil || !strings.HasPrefix(j.URL, gw.FilesURL) {
		t.Fatalf("the download link is not journaled: %+v", j)
	}

	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(project("10000000")), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := startGenform(ctx, t, dir, "plan")
	plan.wait(t, 0)
	for _, want := range []string{
		"  # image.poster will be created (already paid)",
		"  #   because download again (already paid)",
	} {
		if !crashHasLine(plan.out, want) {
			t.Errorf("plan: want %q in\n%s", want, strings.Join(plan.out, "\n"))
		}
	}
	second := startGenform(ctx, t, dir, "apply", "-auto-approve")
	second.wait(t, 0)
	if n := gw.Paid("A poster for the receipts test"); n != 1 {
		t.Errorf("paid %d times, want 1", n)
	}
	if fi, err := os.Stat(filepath.Join(dir, "out", "poster.png")); err != nil || fi.Size() == 0 {
		t.Errorf("out/poster.png: %v", err)
	}
	for _, u := range gw.FileCredentials() {
		t.Errorf("the files host was sent a credential: %s", u)
	}
}
