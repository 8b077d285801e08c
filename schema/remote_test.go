package schema

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheBlock(t *testing.T) {
	t.Run("s3", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": `
genform {
  cache "s3" {
    bucket   = env("BUCKET")
    prefix   = "cache"
    endpoint = "https://minio.internal:9000"
    region   = "eu-west-1"
  }
}
`}, LoadOptions{Env: []string{"BUCKET=acme-genform"}})
		got := c.Cache
		if got == nil || got.Type != "s3" || got.Bucket != "acme-genform" || got.Prefix != "cache/" ||
			got.Endpoint != "https://minio.internal:9000" || got.Region != "eu-west-1" || !got.Upload {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("dir relative, upload false by the environment", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": `
genform {
  cache "dir" {
    path   = "../shared"
    upload = true
  }
}
`}, LoadOptions{Env: []string{"GENFORM_CACHE_UPLOAD=false"}})
		if c.Cache == nil || c.Cache.Path != filepath.Join(filepath.Dir(c.Dir), "shared") || c.Cache.Upload {
			t.Fatalf("%+v", c.Cache)
		}
	})
	t.Run("an unset env() switches it off, with a warning", func(t *testing.T) {
		c, diags := Load(writeTree(t, map[string]string{"main.gen.hcl": `
genform {
  cache "s3" { bucket = env("GENFORM_CACHE_BUCKET") }
}
`}), LoadOptions{ProviderTypes: testTypes})
		if diags.HasErrors() || len(diags) != 1 || diags[0].Summary != "Shared cache off" || c.Cache != nil {
			t.Fatalf("%+v\n%s", c.Cache, render(c, diags))
		}
	})
	t.Run("none", func(t *testing.T) {
		c := mustLoad(t, map[string]string{"main.gen.hcl": "genform {\n  parallelism = 2\n}\n"}, LoadOptions{})
		if c.Cache != nil {
			t.Fatalf("%+v", c.Cache)
		}
	})
}

func TestCacheBlockErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		env             []string
	}{
		{"variable", `variable "b" { default = "x" }
genform {
  cache "s3" { bucket = var.b }
}`, "The cache block is read before anything else", nil},
		{"other function", `genform {
  cache "s3" { bucket = upper("x") }
}`, "The cache block is read before anything else", nil},
		{"two caches", `genform {
  cache "dir" { path = "/tmp/a" }
  cache "s3" { bucket = "bucket" }
}`, "Duplicate cache block", nil},
		{"unknown type", `genform {
  cache "s4" { bucket = "b" }
}`, `Did you mean "s3"?`, nil},
		{"credentials attribute", `genform {
  cache "s3" {
    bucket = "b"
    secret_key = "x"
  }
}`, "Unsupported argument", nil},
		{"missing bucket", `genform {
  cache "s3" { prefix = "x" }
}`, `"bucket" is required`, nil},
		{"bad upload env", `genform {
  cache "dir" { path = "/tmp/x" }
}`, "GENFORM_CACHE_UPLOAD", []string{"GENFORM_CACHE_UPLOAD=maybe"}},
		{"endpoint without scheme", `genform {
  cache "s3" {
    bucket   = "bucket"
    endpoint = "minio:9000"
  }
}`, `"https://minio:9000"`, nil},
		{"bucket name", `genform {
  cache "s3" { bucket = "My_Bucket" }
}`, "is not an S3 bucket name", nil},
		{"the project folder", `genform {
  cache "dir" { path = "." }
}`, "cannot be the project folder", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := Load(writeTree(t, map[string]string{"main.gen.hcl": tc.src}), LoadOptions{ProviderTypes: testTypes, Env: tc.env})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			if out := render(c, diags); !strings.Contains(out, tc.want) {
				t.Fatalf("want %q in:\n%s", tc.want, out)
			}
		})
	}
}
