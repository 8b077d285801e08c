package wisdomgate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

const testKey = "sk-test-SECRET-0123456789"

// build makes a provider from HCL arguments and an environment.
func build(t *testing.T, src string, env map[string]string) (*Provider, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.gen.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parsing test config: %v", diags)
	}
	prov, diags := New(providers.Config{
		Type: "wisdomgate", Body: f.Body, Dir: t.TempDir(),
		Getenv: func(k string) string { return env[k] },
	})
	if prov == nil {
		return nil, diags
	}
	return prov.(*Provider), diags
}

// setup starts a fake gateway and a provider pointed at it, with a fake clock.
func setup(t *testing.T, opts gatetest.Options, extra string) (*Provider, *gatetest.Server, *providers.FakeClock) {
	t.Helper()
	srv := gatetest.New(opts)
	t.Cleanup(srv.Close)
	p, diags := build(t, fmt.Sprintf("base_url = %q\n%s", srv.URL+"/v1/", extra), map[string]string{KeyEnv: testKey})
	if diags.HasErrors() {
		t.Fatalf("New: %v", diags)
	}
	clock := providers.NewFakeClock(time.Now())
	p.SetClock(clock)
	return p, srv, clock
}

// wantJSON compares a captured JSON body with the JSON text expected.
func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v\n%s", err, want)
	}
	if b, err := json.Marshal(got); err == nil {
		got = nil
		json.Unmarshal(b, &got)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		e, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("request body:\n%s\nwant:\n%s", g, e)
	}
}

// only returns the single captured request of an endpoint.
func only(t *testing.T, srv *gatetest.Server, ep gatetest.Endpoint) gatetest.Request {
	t.Helper()
	var found []gatetest.Request
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d requests to %s, want 1", len(found), ep)
	}
	return found[0]
}

// wantAuth checks the credentials a request carried.
func wantAuth(t *testing.T, r gatetest.Request, bearer, goog bool) {
	t.Helper()
	a, g := r.Header.Get("Authorization"), r.Header.Get("x-goog-api-key")
	if bearer && a != "Bearer "+testKey {
		t.Errorf("%s: Authorization = %q, want Bearer and the key", r.Path, a)
	}
	if !bearer && a != "" {
		t.Errorf("%s: Authorization = %q, want none", r.Path, a)
	}
	if goog && g != testKey {
		t.Errorf("%s: x-goog-api-key = %q, want the key", r.Path, g)
	}
	if !goog && g != "" {
		t.Errorf("%s: x-goog-api-key = %q, want none", r.Path, g)
	}
}

// refFile writes a PNG input file.
func refFile(t *testing.T, name string, w, h int) (providers.File, []byte) {
	t.Helper()
	b := gatetest.PNG(name, w, h)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return providers.File{Path: path, Name: "refs/" + name, SHA256: "unused"}, b
}

// noLeftovers checks that a failed generation left no file in the job's folder.
func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in the job folder: %s", e.Name())
	}
}

func wantClass(t *testing.T, err error, class providers.Class, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a %v error with %q", class, msgPart)
	}
	if got := providers.ClassOf(err); got != class {
		t.Errorf("class = %v, want %v (%v)", got, class, err)
	}
	if !strings.Contains(err.Error(), msgPart) {
		t.Errorf("error %q does not say %q", err, msgPart)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error leaks the API key: %q", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }
