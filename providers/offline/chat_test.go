package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/genform/genform/providers"
)

func TestChat(t *testing.T) {
	p := &Provider{}
	ask := func(req providers.Request) *providers.Result {
		t.Helper()
		req.Kind = providers.Chat
		res, err := p.Generate(context.Background(), &req, &providers.Job{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	base := providers.Request{Model: "deepseek-v3", System: "You write short taglines.", Prompt: "A tagline for Acme rocket boots, fast and light"}
	first := ask(base)
	t.Run("deterministic", func(t *testing.T) {
		again, _ := New(providers.Config{Type: "offline"})
		res, err := again.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: base.Model, System: base.System, Prompt: base.Prompt}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != first.Text {
			t.Errorf("%q then %q", first.Text, res.Text)
		}
	})
	t.Run("shape", func(t *testing.T) {
		if first.MediaType != "text/plain" || first.File != "" || first.Text == "" {
			t.Errorf("result %+v, want plain text and no file", first)
		}
		words := strings.Fields(first.Text)
		if len(words) < 2 || len(words) > 10 {
			t.Errorf("reply %q: want a short tagline", first.Text)
		}
		// The reply echoes the prompt's key words.
		for _, w := range words {
			w = strings.Trim(w, ".,:")
			if strings.Contains(strings.ToLower(base.Prompt), strings.ToLower(w)) {
				return
			}
		}
		t.Errorf("reply %q echoes no word of the prompt", first.Text)
	})
	t.Run("usage", func(t *testing.T) {
		in := int64(len(strings.Fields(base.System)) + len(strings.Fields(base.Prompt)))
		out := int64(len(strings.Fields(first.Text)))
		if u := first.Usage; u.PromptTokens != in || u.CompletionTokens != out || u.TotalTokens != in+out {
			t.Errorf("usage %+v, want %d in and %d out", u, in, out)
		}
	})
	changes := []struct {
		name   string
		change func(r *providers.Request)
	}{
		{"prompt", func(r *providers.Request) { r.Prompt = "A tagline for Zenith garden tools, calm and green" }},
		{"system", func(r *providers.Request) { r.System = "You write slogans." }},
		{"seed", func(r *providers.Request) { s := int64(7); r.Seed = &s }},
	}
	for _, c := range changes {
		t.Run("changed "+c.name, func(t *testing.T) {
			differ := false
			// The reply is short, so one change could map onto the same words by chance; over
			// a few prompts it must not always.
			for _, suffix := range []string{"", " today", " now", " again"} {
				req := base
				req.Prompt += suffix
				before := ask(req)
				c.change(&req)
				req.Prompt += suffix
				if ask(req).Text != before.Text {
					differ = true
				}
			}
			if !differ {
				t.Errorf("changing the %s never changes the reply", c.name)
			}
		})
	}
	t.Run("max tokens", func(t *testing.T) {
		req := base
		one := int64(1)
		req.MaxTokens = &one
		res := ask(req)
		// One key word, in its pattern: at most the pattern's own words plus one.
		if n := len(strings.Fields(res.Text)); n > 4 {
			t.Errorf("reply %q with max_tokens = 1", res.Text)
		}
	})
	t.Run("empty prompt", func(t *testing.T) {
		if res := ask(providers.Request{}); res.Text == "" {
			t.Error("no reply to an empty prompt")
		}
	})
}
