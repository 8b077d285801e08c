package schema

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestErrorFixtures loads each testdata/errors/*.gen.hcl alone (and validates it when it
// loads) and checks that every diagnostic is on a line marked `# ERROR: <summary>` or
// `# WARNING: <summary>`, and every marked line has its diagnostic.
func TestErrorFixtures(t *testing.T) {
	paths, err := filepath.Glob("testdata/errors/*.gen.hcl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, SuffixHCL), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
			want := markers(t, src)
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR: or # WARNING: marker")
			}
			cfg, diags := Load(dir, LoadOptions{ProviderTypes: []string{"offline", "wisdomgate"}})
			if !diags.HasErrors() {
				diags = append(diags, cfg.Validate()...)
			}
			var got []string
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != name {
					t.Errorf("diagnostic without a range in %s: %s: %s", name, d.Summary, d.Detail)
					continue
				}
				got = append(got, marker(d.Subject.Start.Line, d.Severity, d.Summary))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				var buf bytes.Buffer
				hcl.NewDiagnosticTextWriter(&buf, cfg.Files, 100, false).WriteDiagnostics(diags)
				t.Errorf("diagnostics differ\n got: %s\nwant: %s\n\n%s",
					strings.Join(got, "\n      "), strings.Join(want, "\n      "), buf.String())
			}
		})
	}
}

func marker(line int, sev hcl.DiagnosticSeverity, summary string) string {
	s := "ERROR"
	if sev == hcl.DiagWarning {
		s = "WARNING"
	}
	return fmt.Sprintf("%3d %s: %s", line, s, summary)
}

// markers reads the expected diagnostics from a fixture's trailing comments.
func markers(t *testing.T, src []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		for _, sev := range []hcl.DiagnosticSeverity{hcl.DiagError, hcl.DiagWarning} {
			tag := "# ERROR: "
			if sev == hcl.DiagWarning {
				tag = "# WARNING: "
			}
			if _, summary, ok := strings.Cut(text, tag); ok {
				out = append(out, marker(line, sev, strings.TrimSpace(summary)))
			}
		}
	}
	slices.Sort(out)
	return out
}
