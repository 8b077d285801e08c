package schema

import (
	"testing"
)

func TestBackendBlock(t *testing.T) {
	chat := "chat \"a\" {\n  model = \"m\"\n  prompt = \"p\"\n}\n"
	t.Run("none", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": chat}, LoadOptions{})
		if c.Settings.Backend != nil {
			t.Errorf("Backend = %+v without a backend block", c.Settings.Backend)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": "genform {\n  backend \"pg\" {}\n}\n" + chat}, LoadOptions{})
		b := c.Settings.Backend
		if b == nil || b.Type != "pg" || b.ConnStr != "" || b.Schema != "genform" || b.Workspace != "default" {
			t.Errorf("Backend = %+v", b)
		}
	})
	t.Run("env and literals", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": `genform {
  backend "pg" {
    conn_str  = env("GENFORM_PG")
    schema    = "media"
    workspace = "staging"
  }
}
` + chat}, LoadOptions{Env: []string{"GENFORM_PG=postgres://u:secret@db/x"}})
		b := c.Settings.Backend
		if b == nil || b.ConnStr != "postgres://u:secret@db/x" || b.Schema != "media" || b.Workspace != "staging" {
			t.Errorf("Backend = %+v", b)
		}
	})
}
