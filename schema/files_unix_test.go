//go:build unix

package schema

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A named pipe in the project is refused by the functions that read a file's contents,
// instead of blocking validate and plan until something writes to it.
func TestFileFunctionsRefuseAPipe(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.gen.hcl": `variable "who" { default = "world" }`})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	c, diags := Load(dir, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(render(c, diags))
	}
	for _, call := range []string{`file("pipe")`, `filesha256("pipe")`, `templatefile("pipe", {})`} {
		t.Run(call, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(call), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			done := make(chan string, 1)
			go func() {
				_, diags := expr.Value(c.base)
				done <- diags.Error()
			}()
			select {
			case msg := <-done:
				if !strings.Contains(msg, `"pipe" is not a regular file`) {
					t.Errorf("%s: %q, want a refusal naming the pipe", call, msg)
				}
			case <-time.After(10 * time.Second): // a guard against a hang, not a timing check
				t.Fatalf("%s is still reading the pipe", call)
			}
		})
	}
}
