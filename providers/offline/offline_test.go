package offline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/genform/genform/providers"
)

// newProvider builds a provider from the HCL body src.
func newProvider(t *testing.T, src string) (*Provider, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "main.gen.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags.Error())
	}
	p, diags := New(providers.Config{Type: "offline", Body: f.Body, Dir: t.TempDir(), Getenv: func(string) string { return "" }})
	if p == nil {
		return nil, diags
	}
	return p.(*Provider), diags
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		latency time.Duration
		summary string // the expected error diagnostic, "" for none
		subject bool   // the diagnostic points at the source
	}{
		{name: "empty", src: ``},
		{name: "latency", src: `latency = "200ms"`, latency: 200 * time.Millisecond},
		{name: "zero latency", src: `latency = "0s"`},
		{name: "null latency", src: `latency = null`},
		{name: "not a duration", src: `latency = "soon"`, summary: "Invalid latency", subject: true},
		{name: "no unit", src: `latency = 5`, summary: "Invalid latency", subject: true},
		{name: "negative", src: `latency = "-1s"`, summary: "Invalid latency", subject: true},
		{name: "wrong type", src: `latency = ["1s"]`, summary: "Invalid latency", subject: true},
		{name: "unknown argument", src: `api_key = "x"`, summary: "Unsupported argument", subject: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := newProvider(t, tt.src)
			if tt.summary == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics: %s", diags.Error())
				}
				if p.latency != tt.latency {
					t.Errorf("latency = %v, want %v", p.latency, tt.latency)
				}
				return
			}
			if !diags.HasErrors() || p != nil {
				t.Fatalf("want an error diagnostic and no provider, got %v, %v", diags, p)
			}
			d := diags[0]
			if d.Summary != tt.summary {
				t.Errorf("summary = %q, want %q", d.Summary, tt.summary)
			}
			if tt.subject && (d.Subject == nil || d.Subject.Start.Line != 1) {
				t.Errorf("subject = %v, want line 1", d.Subject)
			}
			if d.Detail == "" {
				t.Errorf("no detail saying how to fix it")
			}
		})
	}
}

func TestNewWithoutBody(t *testing.T) {
	p, diags := New(providers.Config{Type: "offline", Body: hcl.EmptyBody()})
	if diags.HasErrors() || p == nil {
		t.Fatalf("New with an empty body: %v", diags)
	}
}

func TestPrice(t *testing.T) {
	p := &Provider{}
	for _, k := range []providers.Kind{providers.Chat, providers.Image, providers.Video} {
		if got := p.Price(&providers.Request{Kind: k, Model: "anything"}); got != (providers.Price{USD: 0, Known: true, Free: true}) {
			t.Errorf("Price(%s) = %+v, want free and known", k, got)
		}
	}
}

// generate runs one generation into a fresh folder and returns the result and the file's
// bytes.
func generate(t testing.TB, p *Provider, req *providers.Request) (*providers.Result, []byte) {
	t.Helper()
	res, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if res.File == "" {
		return res, nil
	}
	data, err := os.ReadFile(res.File)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 = %s, want the file's %x", res.SHA256, sum)
	}
	if res.Size != int64(len(data)) {
		t.Errorf("Size = %d, want the file's %d", res.Size, len(data))
	}
	return res, data
}

func TestDeterminism(t *testing.T) {
	tests := []struct {
		name string
		req  providers.Request
	}{
		{"png", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "A lighthouse at dusk", Size: "200x120", OutputPath: "out/a.png"}},
		{"jpeg", providers.Request{Kind: providers.Image, Model: "m", Prompt: "A lighthouse at dusk", Size: "200x120", OutputPath: "out/a.jpeg"}},
		{"gif image", providers.Request{Kind: providers.Image, Model: "m", Prompt: "A lighthouse at dusk", Size: "200x120", OutputPath: "out/a.gif"}},
		{"transparent", providers.Request{Kind: providers.Image, Model: "gpt-image-1", Prompt: "An icon", Size: "128x128", Background: "transparent", OutputPath: "icon.png"}},
		{"video", providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Teaser", Size: "160x90", OutputPath: "t.gif",
			Shots: []providers.Shot{{Duration: 2, Scene: "The logo fades in."}, {Duration: 3, Scene: "A pan."}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p1, _ := newProvider(t, ``)
			p2, _ := newProvider(t, ``)
			r1, b1 := generate(t, p1, &tt.req)
			r2, b2 := generate(t, p2, &tt.req)
			if !bytes.Equal(b1, b2) || r1.SHA256 != r2.SHA256 {
				t.Fatalf("two runs differ: %s vs %s", r1.SHA256, r2.SHA256)
			}
			r3, _ := generate(t, p1, &tt.req)
			if r3.SHA256 != r1.SHA256 {
				t.Fatalf("a second run on the same provider differs")
			}
		})
	}
}

// TestPixelsGolden pins the painted pixels (before any encoder, whose output may change with
// the Go release), so a change of platform or of the painting code that alters output shows.
// The cases cover the three composition styles, a tint, transparency and an animation frame.
// These hashes were checked to agree on amd64, on amd64 with GOAMD64=v3 (where the compiler
// may fuse floating-point multiply-adds) and on 386 (32-bit int).
func TestPixelsGolden(t *testing.T) {
	red := tint{hue: 100, lean: rgb{200, 40, 40}, hasLean: true, swatches: []rgb{{200, 40, 40}}}
	tests := []struct {
		name        string
		prompt      string
		tint        tint
		w, h        int
		moment      int // of an animation, 0-1000
		transparent bool
		want        string
	}{
		{"landscape", "A red fox in the snow", tint{}, 96, 64, 0, false, "a0ed0e47884930a8ab351b2d279a14cf7fa8eba6a9a7ac1835b668052425fcb3"},
		{"abstract", "A lighthouse at dusk", tint{}, 64, 96, 0, false, "e318058793d2b27fd446651aa57f2a6b299f491f07430622137c0fc532311a07"},
		{"bands", "Café au lait, naïve", tint{}, 80, 80, 0, false, "2332e94136a2335c13582579416510546355b14df80ce3fdae11f67f1955f6c0"},
		{"tinted", "A red fox in the snow", red, 120, 80, 0, false, "b402be5145b495a1450406ebec5da6a0fca84b3806d420af90b2a146714e6db1"},
		{"transparent", "A lighthouse at dusk", tint{}, 64, 64, 0, true, "c278eae826b84eca7ba25c347e1cc2aaac7e5a3fba1ef8a617577eb8581efc42"},
		{"frame", "A lighthouse at dusk", tint{}, 96, 54, 500, false, "b2e849c24172bd2f7200527778df41722ed2a423f7a9ddd7b2af43a4296159bc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCanvas(tt.w, tt.h)
			s := newScene(sha256.Sum256([]byte(tt.prompt)), tt.tint)
			s.paint(c, tt.moment, tt.transparent)
			s.caption(c, tt.prompt, 4)
			sum := sha256.Sum256(c.img.Pix)
			if got := hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("pixels hash = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConcurrentGenerate(t *testing.T) {
	p, _ := newProvider(t, ``)
	req := &providers.Request{Kind: providers.Image, Prompt: "Same prompt", Size: "160x160", OutputPath: "x.png"}
	sums := make([]string, 4)
	var wg sync.WaitGroup
	for i := range sums {
		wg.Go(func() {
			res, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()})
			if err != nil {
				t.Error(err)
				return
			}
			sums[i] = res.SHA256
		})
	}
	wg.Wait()
	for _, s := range sums[1:] {
		if s != sums[0] {
			t.Fatalf("concurrent generations differ: %v", sums)
		}
	}
}

func TestLatency(t *testing.T) {
	p, _ := newProvider(t, `latency = "60ms"`)
	req := &providers.Request{Kind: providers.Chat, Prompt: "hello"}
	start := time.Now()
	if _, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("generation took %v, want at least the 60ms latency", d)
	}
}

func TestLatencyCancel(t *testing.T) {
	p, _ := newProvider(t, `latency = "1h"`)
	for _, kind := range []providers.Kind{providers.Chat, providers.Image, providers.Video} {
		t.Run(string(kind), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var phases []providers.Phase
			defer cancel()
			job := &providers.Job{Dir: t.TempDir(), Progress: func(pr providers.Progress) {
				phases = append(phases, pr.Phase)
			}}
			time.AfterFunc(30*time.Millisecond, cancel) // while Generate waits out the latency
			start := time.Now()
			res, err := p.Generate(ctx, &providers.Request{Kind: kind, Prompt: "x", OutputPath: "x.gif"}, job)
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Generate = %v, %v; want context.Canceled", res, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("cancellation took %v", d)
			}
			if len(phases) == 0 || phases[0] != providers.PhaseGenerating {
				t.Errorf("phases = %v, want generating first", phases)
			}
			if entries, _ := os.ReadDir(job.Dir); len(entries) != 0 {
				t.Errorf("a cancelled generation left %d files", len(entries))
			}
		})
	}
}

func TestGenerateRefusesWhatCheckRefuses(t *testing.T) {
	p := &Provider{}
	dir := t.TempDir()
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Prompt: "x", OutputPath: "t.mp4"}, &providers.Job{Dir: dir})
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Class != providers.Permanent {
		t.Fatalf("err = %v, want a permanent *providers.Error", err)
	}
	if !strings.Contains(err.Error(), "renders video as GIF") {
		t.Errorf("err = %q, want it to say video is GIF", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused generation left %d files", len(entries))
	}
}

func TestMissingReference(t *testing.T) {
	p := &Provider{}
	req := &providers.Request{Kind: providers.Image, Prompt: "x", Size: "32x32",
		References: []providers.File{{Path: "/nonexistent/logo.png", Name: "refs/logo.png"}}}
	_, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir()})
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Class != providers.Permanent || !strings.Contains(err.Error(), "refs/logo.png") {
		t.Fatalf("err = %v, want a permanent error naming refs/logo.png", err)
	}
}
