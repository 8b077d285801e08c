package wisdomgate

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

// Every request goes out with an exact Content-Length, JSON and multipart alike: servers that
// do not read chunked bodies (the fake, strict by default, answers them 411) take them all.
func TestRequestsCarryContentLength(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
	ref, _ := refFile(t, "ref.png", 16, 16)
	mask, _ := refFile(t, "mask.png", 16, 16)
	reqs := []*providers.Request{
		{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		{Kind: providers.Image, Model: "grok-4-image", Prompt: "A fox", References: []providers.File{ref}},
		{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "A fox", References: []providers.File{ref}},
		{Kind: providers.Image, Model: "gpt-image-1", Prompt: "A fox"},
		{Kind: providers.Image, Model: "gpt-image-1", Prompt: "A fox", References: []providers.File{ref, ref}, Mask: &mask},
		{Kind: providers.Video, Model: "sora-2", Prompt: "A fox", Reference: &ref},
	}
	for _, req := range reqs {
		if _, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()}); err != nil {
			t.Fatalf("%s %s: %v", req.Kind, req.Model, err)
		}
	}
	posts := 0
	for _, r := range srv.Requests() {
		if r.Method != "POST" {
			continue
		}
		posts++
		if r.ContentLength <= 0 || len(r.TransferEncoding) > 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v", r.Path, r.ContentLength, r.TransferEncoding)
		}
	}
	if posts != len(reqs) {
		t.Errorf("%d POSTs, want %d", posts, len(reqs))
	}
}

// A reference that changes between the layout of a form and its sending fails the attempt
// instead of sending a body that does not match its length.
func TestMultipartFileChanged(t *testing.T) {
	ref, _ := refFile(t, "ref.png", 16, 16)
	for _, change := range []string{"grew", "shrank"} {
		t.Run(change, func(t *testing.T) {
			form, err := layoutForm([]field{{name: "model", value: "gpt-image-1"}, {name: "image", file: &ref}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(ref.Path)
			if change == "grew" {
				b = append(b, "more"...)
			} else {
				b = b[:len(b)-4]
			}
			if err := os.WriteFile(ref.Path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			body, err := form.open()
			if err != nil {
				t.Fatal(err)
			}
			defer body.Close()
			buf := make([]byte, 1<<16)
			var n int64
			for {
				m, err := body.Read(buf)
				n += int64(m)
				if err != nil {
					if !strings.Contains(err.Error(), "changed while it was being sent") {
						t.Errorf("err = %v after %d of %d bytes", err, n, body.size)
					}
					break
				}
			}
		})
	}
}
