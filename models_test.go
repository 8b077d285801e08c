package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

func TestModelsCommand(t *testing.T) {
	srv := gatetest.New(gatetest.Options{Key: "k-models"})
	defer srv.Close()
	dir := t.TempDir()
	cfg := `provider "wisdomgate" {
  base_url = "` + srv.URL + `/v1"
}
provider "wisdomgate" {
  alias    = "other"
  base_url = "` + srv.URL + `"
  api_key  = "wrong"
}
provider "offline" {}
`
	if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WISDOM_GATE_KEY", "k-models")
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  func(string) bool
		stderr  string
		listing int // calls to GET /v1/models
	}{
		{name: "lines", args: []string{"models"}, stdout: func(s string) bool {
			lines := strings.Split(strings.TrimSpace(s), "\n")
			return len(lines) > 5 && slices.IsSorted(lines) && slices.Contains(lines, "gemini-3-pro-image-preview")
		}, listing: 1},
		{name: "json after the provider", args: []string{"models", "wisdomgate", "-json"}, stdout: func(s string) bool {
			var ids []string
			return json.Unmarshal([]byte(s), &ids) == nil && slices.Contains(ids, "sora-2") && slices.IsSorted(ids)
		}, listing: 1},
		{name: "the aliased provider's own key", args: []string{"models", "wisdomgate.other"}, code: 1,
			stderr: "Incorrect API key provided.", listing: 1},
		{name: "offline lists nothing", args: []string{"models", "offline"}, code: 1, stderr: "provider offline has no model list"},
		{name: "unknown provider", args: []string{"models", "nope"}, code: 1,
			stderr: "there is no provider nope in the configuration. The providers are: offline, wisdomgate, wisdomgate.other."},
		{name: "two providers", args: []string{"models", "a", "b"}, code: 1, stderr: `models takes one provider, and got "b" too`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset()
			var out, errb bytes.Buffer
			code := run(append([]string{"-chdir=" + dir}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if tt.stdout != nil && !tt.stdout(out.String()) {
				t.Errorf("stdout:\n%s", out.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q", errb.String(), tt.stderr)
			}
			if n := srv.Calls(gatetest.Models); n != tt.listing {
				t.Errorf("GET /v1/models calls = %d, want %d", n, tt.listing)
			}
		})
	}
}

func TestModelsWithoutConfigNeedsAKey(t *testing.T) {
	t.Setenv("WISDOM_GATE_KEY", "")
	var out, errb bytes.Buffer
	if code := run([]string{"-chdir=" + t.TempDir(), "models"}, &out, &errb); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "set WISDOM_GATE_KEY") {
		t.Errorf("stderr = %q", errb.String())
	}
}
