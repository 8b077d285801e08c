package wisdomgate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

func TestChatConformance(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
	req := &providers.Request{
		Kind: providers.Chat, Model: "deepseek-v3", System: "Be brief.", Prompt: "A tagline for Acme",
		Temperature: ptr(0.7), TopP: ptr(0.9), PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(-0.2),
		MaxTokens: ptr(int64(200)), Seed: ptr(int64(7)),
		Options: map[string]any{"user": "genform", "stop": []any{"\n"}},
	}
	res, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "Reply to: A tagline for Acme" || res.MediaType != "text/plain" || res.File != "" {
		t.Errorf("result = %+v", res)
	}
	if res.Usage.PromptTokens != 4 || res.Usage.CompletionTokens != 6 || res.Usage.TotalTokens != 10 {
		t.Errorf("usage = %+v, want 4+6=10", res.Usage)
	}
	r := only(t, srv, gatetest.Chat)
	if r.Method != "POST" || r.Path != "/v1/chat/completions" || r.ContentType != "application/json" {
		t.Errorf("request %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	wantAuth(t, r, true, false)
	wantJSON(t, r.JSON, `{
		"model": "deepseek-v3",
		"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A tagline for Acme"}],
		"temperature": 0.7, "top_p": 0.9, "presence_penalty": 0.1, "frequency_penalty": -0.2,
		"max_tokens": 200, "seed": 7, "user": "genform", "stop": ["\n"]
	}`)
}

func TestGeminiConformance(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
	ref1, b1 := refFile(t, "logo.png", 8, 8)
	ref2, b2 := refFile(t, "face.png", 4, 6)
	dir := t.TempDir()
	res, err := p.Generate(context.Background(), &providers.Request{
		Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "A watercolor fox",
		AspectRatio: "16:9", Resolution: "2K", References: []providers.File{ref1, ref2},
		Options: map[string]any{"generationConfig": map[string]any{"temperature": 0.5}},
	}, &providers.Job{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, srv, gatetest.Gemini)
	if r.Path != "/v1beta/models/gemini-3-pro-image-preview:generateContent" {
		t.Errorf("path = %s", r.Path)
	}
	wantAuth(t, r, false, true)
	wantJSON(t, r.JSON, `{
		"contents": [{"role": "user", "parts": [
			{"text": "A watercolor fox"},
			{"inline_data": {"mime_type": "image/png", "data": "`+gatetest.Summarize(b1)+`"}},
			{"inline_data": {"mime_type": "image/png", "data": "`+gatetest.Summarize(b2)+`"}}
		]}],
		"generationConfig": {
			"responseModalities": ["IMAGE"],
			"imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
			"temperature": 0.5
		}
	}`)
	// The thought image (2x2) is skipped; the final one is 64x36.
	wantImage(t, res, dir, "image/png", 64, 36, gatetest.PNG("A watercolor fox", 64, 36))
	// an inline image is whole in memory with the reply: handed over as bytes, no file made
	if res.Data == nil || res.File != "" {
		t.Errorf("inline image: file %q, %d bytes in memory", res.File, len(res.Data))
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files made for an inline image: %v", left)
	}
	if res.Usage.CompletionTokens != 1290 {
		t.Errorf("usage = %+v", res.Usage)
	}
}

func TestGeminiBlocked(t *testing.T) {
	p, _, _ := setup(t, gatetest.Options{}, "")
	dir := t.TempDir()
	_, err := p.Generate(context.Background(), &providers.Request{
		Kind: providers.Image, Model: "gemini-2.5-flash-image", Prompt: "something [block]",
	}, &providers.Job{Dir: dir})
	wantClass(t, err, providers.Permanent, "blockReason SAFETY")
	noLeftovers(t, dir)
}

func TestChatImageReplyVariants(t *testing.T) {
	for _, variant := range []string{gatetest.ReplyLink, gatetest.ReplyData, gatetest.ReplyJSON, gatetest.ReplyImages} {
		t.Run(variant, func(t *testing.T) {
			p, srv, _ := setup(t, gatetest.Options{Key: testKey, ChatImageReply: variant}, "")
			dir := t.TempDir()
			res, err := p.Generate(context.Background(), &providers.Request{
				Kind: providers.Image, Model: "grok-4-image", Prompt: "A neon alley", AspectRatio: "1:1", Resolution: "1K",
			}, &providers.Job{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			r := only(t, srv, gatetest.Chat)
			wantAuth(t, r, true, false)
			wantJSON(t, r.JSON, `{
				"model": "grok-4-image",
				"messages": [{"role": "user", "content": "A neon alley"}],
				"image_config": {"aspect_ratio": "1:1", "image_size": "1K"}
			}`)
			wantImage(t, res, dir, "image/png", 64, 64, gatetest.PNG("A neon alley", 64, 64))
			wantFiles := 0
			if variant == gatetest.ReplyLink {
				wantFiles = 1
			}
			if n := srv.Calls(gatetest.Files); n != wantFiles {
				t.Errorf("files host calls = %d, want %d", n, wantFiles)
			}
			if creds := srv.FileCredentials(); len(creds) != 0 {
				t.Errorf("the download host was sent credentials: %q", creds)
			}
		})
	}
}

func TestChatImageWithReferencesAndOverride(t *testing.T) {
	// gemini-3-pro-image-preview routed through chat completions, as document 000 does.
	p, srv, _ := setup(t, gatetest.Options{}, `model_endpoints = { "gemini-3-pro-image-preview" = "chat" }`)
	ref, b := refFile(t, "cat.png", 5, 5)
	_, err := p.Generate(context.Background(), &providers.Request{
		Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "This cat, as a king", System: "You draw.",
		References: []providers.File{ref}, Options: map[string]any{"enable_safety_checker": false},
	}, &providers.Job{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, only(t, srv, gatetest.Chat).JSON, `{
		"model": "gemini-3-pro-image-preview",
		"messages": [
			{"role": "system", "content": "You draw."},
			{"role": "user", "content": [
				{"type": "text", "text": "This cat, as a king"},
				{"type": "image_url", "image_url": {"url": "data:image/png;base64,`+gatetest.Summarize(b)+`"}}
			]}
		],
		"enable_safety_checker": false
	}`)
}

func TestImagesGenerationsConformance(t *testing.T) {
	tests := []struct {
		name       string
		req        providers.Request
		wantBody   string
		wantType   string
		w, h       int
		wantFiles  int
		wantRevise string
	}{
		{
			name: "gpt-image-1 b64_json",
			req: providers.Request{Model: "gpt-image-1", Prompt: "An icon", Size: "1536x1024", Quality: "high",
				Background: "transparent", OutputPath: "out/icon.png"},
			wantBody: `{"model":"gpt-image-1","prompt":"An icon","size":"1536x1024","quality":"high","background":"transparent"}`,
			wantType: "image/png", w: 96, h: 64,
		},
		{
			name:     "gpt-image-2 output_format from the path",
			req:      providers.Request{Model: "gpt-image-2", Prompt: "A photo", OutputPath: "out/photo.jpg"},
			wantBody: `{"model":"gpt-image-2","prompt":"A photo","output_format":"jpeg"}`,
			wantType: "image/jpeg", w: 64, h: 64,
		},
		{
			name:     "dall-e-3 asks for b64_json",
			req:      providers.Request{Model: "dall-e-3", Prompt: "An otter", Size: "1792x1024", Quality: "hd", Style: "vivid"},
			wantBody: `{"model":"dall-e-3","prompt":"An otter","size":"1792x1024","quality":"hd","style":"vivid","response_format":"b64_json"}`,
			wantType: "image/png", w: 112, h: 64, wantRevise: "A detailed rendering of An otter",
		},
		{
			name:     "dall-e-2 url reply through options",
			req:      providers.Request{Model: "dall-e-2", Prompt: "A cube", Size: "256x256", Options: map[string]any{"response_format": "url"}},
			wantBody: `{"model":"dall-e-2","prompt":"A cube","size":"256x256","response_format":"url"}`,
			wantType: "image/png", w: 16, h: 16, wantFiles: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
			dir := t.TempDir()
			tt.req.Kind = providers.Image
			res, err := p.Generate(context.Background(), &tt.req, &providers.Job{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			r := only(t, srv, gatetest.ImagesGenerations)
			if r.Path != "/v1/images/generations" || r.ContentType != "application/json" {
				t.Errorf("request %s (%s)", r.Path, r.ContentType)
			}
			wantAuth(t, r, true, false)
			wantJSON(t, r.JSON, tt.wantBody)
			if res.MediaType != tt.wantType || res.Width != tt.w || res.Height != tt.h {
				t.Errorf("result %s %dx%d, want %s %dx%d", res.MediaType, res.Width, res.Height, tt.wantType, tt.w, tt.h)
			}
			if res.RevisedPrompt != tt.wantRevise {
				t.Errorf("revised prompt = %q, want %q", res.RevisedPrompt, tt.wantRevise)
			}
			if n := srv.Calls(gatetest.Files); n != tt.wantFiles {
				t.Errorf("files host calls = %d, want %d", n, tt.wantFiles)
			}
			if creds := srv.FileCredentials(); len(creds) != 0 {
				t.Errorf("the download host was sent credentials: %q", creds)
			}
			checkOutput(t, res, dir)
		})
	}
}

func TestImagesEditsConformance(t *testing.T) {
	a, ab := refFile(t, "a.png", 8, 8)
	b, bb := refFile(t, "b.png", 8, 8)
	mask, mb := refFile(t, "mask.png", 8, 8)
	tests := []struct {
		name       string
		req        providers.Request
		wantFields map[string][]string
		wantFiles  []gatetest.File
	}{
		{
			name:       "one image is sent as image",
			req:        providers.Request{Model: "gpt-image-1", Prompt: "add a hat", Size: "1024x1024", References: []providers.File{a}},
			wantFields: map[string][]string{"model": {"gpt-image-1"}, "prompt": {"add a hat"}, "size": {"1024x1024"}},
			wantFiles:  []gatetest.File{fileOf("image", "a.png", ab)},
		},
		{
			name: "several images as image[], and a mask",
			req: providers.Request{Model: "gpt-image-2", Prompt: "compose", Quality: "low",
				References: []providers.File{a, b}, Mask: &mask, Options: map[string]any{"input_fidelity": "high", "n": 1.0}},
			wantFields: map[string][]string{"model": {"gpt-image-2"}, "prompt": {"compose"}, "quality": {"low"},
				"input_fidelity": {"high"}, "n": {"1"}},
			wantFiles: []gatetest.File{fileOf("image[]", "a.png", ab), fileOf("image[]", "b.png", bb), fileOf("mask", "mask.png", mb)},
		},
		{
			name:       "dall-e-2 asks for b64_json",
			req:        providers.Request{Model: "dall-e-2", Prompt: "paint it red", References: []providers.File{a}},
			wantFields: map[string][]string{"model": {"dall-e-2"}, "prompt": {"paint it red"}, "response_format": {"b64_json"}},
			wantFiles:  []gatetest.File{fileOf("image", "a.png", ab)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
			dir := t.TempDir()
			tt.req.Kind = providers.Image
			res, err := p.Generate(context.Background(), &tt.req, &providers.Job{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			r := only(t, srv, gatetest.ImagesEdits)
			if r.Path != "/v1/images/edits" || r.ContentType != "multipart/form-data" {
				t.Errorf("request %s (%s)", r.Path, r.ContentType)
			}
			wantAuth(t, r, true, false)
			wantJSON(t, r.Fields, mustJSON(t, tt.wantFields))
			wantJSON(t, r.Files, mustJSON(t, tt.wantFiles))
			checkOutput(t, res, dir)
		})
	}
}

func fileOf(field, name string, b []byte) gatetest.File {
	sum := sha256.Sum256(b)
	return gatetest.File{Field: field, Filename: name, ContentType: "image/png", Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
}

// wantImage checks an image result and its file.
func wantImage(t *testing.T, res *providers.Result, dir, mt string, w, h int, want []byte) {
	t.Helper()
	if res.MediaType != mt || res.Width != w || res.Height != h {
		t.Errorf("result %s %dx%d, want %s %dx%d", res.MediaType, res.Width, res.Height, mt, w, h)
	}
	got := checkOutput(t, res, dir)
	if want != nil && string(got) != string(want) {
		t.Errorf("file bytes differ from the image the gateway made")
	}
}

// checkOutput checks that a result's file is in the job folder with its size and hash (or
// that its bytes, when in memory, have them).
func checkOutput(t *testing.T, res *providers.Result, dir string) []byte {
	t.Helper()
	if res.Data != nil {
		if res.File != "" {
			t.Errorf("a result with both a file %s and bytes", res.File)
		}
		sum := sha256.Sum256(res.Data)
		if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(len(res.Data)) {
			t.Errorf("sha256/size = %s/%d, bytes have %x/%d", res.SHA256, res.Size, sum, len(res.Data))
		}
		return res.Data
	}
	if filepath.Dir(res.File) != dir {
		t.Errorf("file %s is not in the job folder %s", res.File, dir)
	}
	b, err := os.ReadFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(len(b)) {
		t.Errorf("sha256/size = %s/%d, file has %x/%d", res.SHA256, res.Size, sum, len(b))
	}
	if fi, err := os.Stat(res.File); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode = %v, want 0644", fi.Mode())
	}
	if strings.HasSuffix(res.File, ".part") {
		t.Errorf("file %s still has its temporary name", res.File)
	}
	return b
}
