package wisdomgate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

// batch sends n chat generations, slots at a time, and returns the new TCP connections the
// gateway saw.
func batch(t *testing.T, p *Provider, srv *gatetest.Server, n, slots int) int64 {
	t.Helper()
	before := srv.Conns()
	var g errgroup.Group
	g.SetLimit(slots)
	for i := range n {
		g.Go(func() error {
			_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: fmt.Sprintf("hi %d", i)},
				&providers.Job{Dir: t.TempDir()})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return srv.Conns() - before
}

// 1,000 requests at parallelism 32 reuse their connections: at most 40 new ones (the goal of
// the issue; http.DefaultTransport, which keeps 2 idle connections per host, opened 479).
func TestConnectionsReused(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 requests")
	}
	const n, slots = 1000, 32
	p, srv, _ := setup(t, gatetest.Options{Latency: 50 * time.Millisecond}, "")
	p.SetParallelism(slots)
	sized := batch(t, p, srv, n, slots)
	// what genform used before: http.DefaultTransport, 2 idle connections per host
	p.clients.Store(&http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), CheckRedirect: p.checkRedirect})
	small := batch(t, p, srv, n, slots)
	t.Logf("new TCP connections for %d requests at parallelism %d: %d with the pool sized to it, %d with http.DefaultTransport", n, slots, sized, small)
	if sized > 40 {
		t.Errorf("%d new connections for %d requests at parallelism %d, want at most 40", sized, n, slots)
	}
	if small <= sized {
		t.Errorf("a pool of 2 opened %d connections, the sized pool %d: the measure does not tell them apart", small, sized)
	}
}

// Over TLS, the client speaks HTTP/2 when the gateway offers it. The first burst may dial a
// connection per slot before any has told its protocol; after that, nothing new is opened.
func TestHTTP2OverTLS(t *testing.T) {
	srv := gatetest.New(gatetest.Options{TLS: true, Key: testKey})
	t.Cleanup(srv.Close)
	p, diags := build(t, fmt.Sprintf("base_url = %q", srv.URL), map[string]string{KeyEnv: testKey})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	p.tls = &tls.Config{RootCAs: roots}
	p.SetParallelism(16)
	first := batch(t, p, srv, 100, 16)
	second := batch(t, p, srv, 100, 16)
	for _, r := range srv.Requests() {
		if r.Proto != "HTTP/2.0" {
			t.Fatalf("%s %s came over %s, want HTTP/2.0", r.Method, r.Path, r.Proto)
		}
	}
	if first > 16 || second != 0 {
		t.Errorf("%d then %d new connections for two batches of 100 over HTTP/2 at 16 at once, want at most 16 then none", first, second)
	}
}
