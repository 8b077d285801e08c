package offline

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/genform/genform/providers"
)

func TestImageSize(t *testing.T) {
	tests := []struct {
		name             string
		size, res, ratio string
		w, h             int
	}{
		{name: "default", w: 1024, h: 1024},
		{name: "size", size: "1280x720", w: 1280, h: 720},
		{name: "size wins over resolution", size: "300x200", res: "4K", ratio: "1:1", w: 300, h: 200},
		{name: "1K", res: "1K", w: 1024, h: 1024},
		{name: "2K 16:9", res: "2K", ratio: "16:9", w: 2048, h: 1152},
		{name: "4K 3:2", res: "4K", ratio: "3:2", w: 4096, h: 2731},
		{name: "1K 9:16", res: "1K", ratio: "9:16", w: 576, h: 1024},
		{name: "ratio alone", ratio: "4:3", w: 1024, h: 768},
		{name: "21:9", res: "1K", ratio: "21:9", w: 1024, h: 439},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, probs := imageSize(&providers.Request{Kind: providers.Image, Size: tt.size, Resolution: tt.res, AspectRatio: tt.ratio})
			if len(probs) != 0 {
				t.Fatalf("problems: %v", probs)
			}
			if w != tt.w || h != tt.h {
				t.Errorf("size = %dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
		})
	}
}

func TestImageDecodes(t *testing.T) {
	tests := []struct {
		name, path, mediaType string
		size, res, ratio      string
		w, h                  int
		decode                func([]byte) (image.Image, error)
	}{
		{name: "png from size", path: "out/a.png", mediaType: "image/png", size: "320x200", w: 320, h: 200,
			decode: func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
		{name: "png from resolution and ratio", path: "out/a.png", mediaType: "image/png", res: "1K", ratio: "16:9", w: 1024, h: 576,
			decode: func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
		{name: "jpg", path: "out/a.jpg", mediaType: "image/jpeg", size: "240x180", w: 240, h: 180,
			decode: func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
		{name: "JPEG upper case", path: "out/a.JPEG", mediaType: "image/jpeg", size: "64x64", w: 64, h: 64,
			decode: func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
		{name: "gif", path: "out/a.gif", mediaType: "image/gif", size: "100x300", w: 100, h: 300,
			decode: func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) }},
		{name: "no path is png", mediaType: "image/png", size: "50x40", w: 50, h: 40,
			decode: func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &providers.Request{Kind: providers.Image, Model: "any-model", Prompt: "A red fox in the snow",
				Size: tt.size, Resolution: tt.res, AspectRatio: tt.ratio, OutputPath: tt.path}
			res, data := generate(t, &Provider{}, req)
			img, err := tt.decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("decoded size %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
			if res.Width != tt.w || res.Height != tt.h || res.MediaType != tt.mediaType {
				t.Errorf("result %dx%d %s, want %dx%d %s", res.Width, res.Height, res.MediaType, tt.w, tt.h, tt.mediaType)
			}
			if ext := map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}[tt.mediaType]; filepath.Ext(res.File) != ext {
				t.Errorf("file %s, want extension %s", res.File, ext)
			}
			if fi, err := os.Stat(res.File); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("file mode = %v, %v; want 0644", fi.Mode(), err)
			}
		})
	}
}

// decodeRGBA decodes a PNG into RGBA.
func decodeRGBA(t *testing.T, data []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// meanDiff is the mean absolute difference per channel of two same-sized images, 0-255.
func meanDiff(a, b *image.RGBA) int {
	var sum int
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		sum += max(d, -d)
	}
	return sum / len(a.Pix)
}

// writePNG writes a w x h PNG of colour c and returns its file.
func writePNG(t *testing.T, name string, c color.Color, w, h int) providers.File {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return providers.File{Path: path, Name: "refs/" + name}
}

func TestImageVisiblyDiffers(t *testing.T) {
	red := writePNG(t, "red.png", color.RGBA{220, 30, 30, 255}, 40, 30)
	blue := writePNG(t, "blue.png", color.RGBA{30, 30, 220, 255}, 40, 30)
	notImage := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notImage, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := providers.Request{Kind: providers.Image, Prompt: "A red fox in the snow", Size: "160x120", OutputPath: "fox.png"}
	tests := []struct {
		name   string
		change func(r *providers.Request)
	}{
		{"prompt", func(r *providers.Request) { r.Prompt = "A red fox in the rain" }},
		{"a reference", func(r *providers.Request) { r.References = []providers.File{red} }},
		{"a non-image reference", func(r *providers.Request) {
			r.References = []providers.File{{Path: notImage, Name: "notes.txt"}}
		}},
	}
	_, baseData := generate(t, &Provider{}, &base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base
			tt.change(&req)
			_, data := generate(t, &Provider{}, &req)
			if bytes.Equal(data, baseData) {
				t.Fatal("the output did not change")
			}
			if d := meanDiff(decodeRGBA(t, data), decodeRGBA(t, baseData)); d < 10 {
				t.Errorf("mean difference %d/255: not visibly different", d)
			}
		})
	}
	t.Run("another reference", func(t *testing.T) {
		r1, r2 := base, base
		r1.References = []providers.File{red}
		r2.References = []providers.File{blue}
		_, d1 := generate(t, &Provider{}, &r1)
		_, d2 := generate(t, &Provider{}, &r2)
		if d := meanDiff(decodeRGBA(t, d1), decodeRGBA(t, d2)); d < 10 {
			t.Errorf("mean difference %d/255 between a red and a blue reference: not visibly different", d)
		}
	})
	t.Run("same reference content, other hash", func(t *testing.T) {
		r1, r2 := base, base
		a, b := red, red
		a.SHA256, b.SHA256 = "aa", "bb"
		r1.References, r2.References = []providers.File{a}, []providers.File{b}
		_, d1 := generate(t, &Provider{}, &r1)
		_, d2 := generate(t, &Provider{}, &r2)
		if bytes.Equal(d1, d2) {
			t.Error("the reference's hash does not take part")
		}
	})
}

func TestExtremeSizes(t *testing.T) {
	for _, size := range []string{"16x16", "4096x16", "16x1000", "17x4096"} {
		t.Run(size, func(t *testing.T) {
			req := &providers.Request{Kind: providers.Image, Prompt: "A long prompt that cannot possibly fit on a tiny canvas, however it is wrapped", Size: size}
			res, data := generate(t, &Provider{}, req)
			img := decodeRGBA(t, data)
			if b := img.Bounds(); b.Dx() != res.Width || b.Dy() != res.Height {
				t.Errorf("decoded %v, result %dx%d", b, res.Width, res.Height)
			}
		})
	}
}

func TestTransparentBackground(t *testing.T) {
	req := &providers.Request{Kind: providers.Image, Prompt: "icon", Size: "96x96", Background: "transparent", OutputPath: "icon.png"}
	_, data := generate(t, &Provider{}, req)
	img := decodeRGBA(t, data)
	clear, solid := 0, 0
	for i := 3; i < len(img.Pix); i += 4 {
		switch img.Pix[i] {
		case 0:
			clear++
		case 255:
			solid++
		}
	}
	if clear == 0 || solid == 0 {
		t.Errorf("%d clear and %d solid pixels: want a transparent background behind opaque text", clear, solid)
	}
}

func TestImageProgress(t *testing.T) {
	var got []providers.Progress
	job := &providers.Job{Dir: t.TempDir(), Progress: func(p providers.Progress) { got = append(got, p) }}
	if _, err := (&Provider{}).Generate(context.Background(), &providers.Request{Kind: providers.Image, Prompt: "x", Size: "32x32"}, job); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Phase != providers.PhaseGenerating || got[0].Percent != -1 {
		t.Errorf("progress = %+v, want one generating report", got)
	}
}

func TestAverageColour(t *testing.T) {
	var buf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []uint8{0, 0, 255, 255})
		if i >= len(img.Pix)/2 {
			copy(img.Pix[i:], []uint8{255, 0, 0, 0}) // transparent: counts as white
		}
	}
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	got, ok := averageColour(buf.Bytes())
	if want := (rgb{127, 127, 255}); !ok || got != want {
		t.Errorf("averageColour = %v, %v; want %v", got, ok, want)
	}
	if _, ok := averageColour([]byte("text")); ok {
		t.Error("text decoded as an image")
	}
}
