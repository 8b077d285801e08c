package offline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"sync"

	_ "golang.org/x/image/webp" // references may be WebP

	"github.com/genform/genform/asset"
	"github.com/genform/genform/providers"
)

// renderImage paints req's image and writes it into job.Dir.
func renderImage(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	w, h, _ := imageSize(req)
	t, err := tintOf(req.References)
	if err != nil {
		return nil, err
	}
	ext := imageExt(req.OutputPath)
	if ext == "" {
		ext = ".png"
	}
	transparent := req.Background == "transparent" && ext == ".png"
	img := paintImage(sha256.Sum256([]byte(req.Prompt)), t, req.Prompt, w, h, transparent)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("offline: %w", err)
	}
	var dir string
	if job != nil {
		dir = job.Dir
	}
	out, err := writeOutput(dir, ext, func(wr io.Writer) error { return encodeImage(wr, img, ext) })
	if err != nil {
		return nil, err
	}
	return &providers.Result{
		File:      out.path,
		MediaType: mediaTypeOf(ext),
		SHA256:    out.sha256,
		Size:      out.size,
		Width:     w,
		Height:    h,
	}, nil
}

// mediaTypeOf is the media type of an extension the offline provider writes.
func mediaTypeOf(ext string) string {
	m, _ := asset.ByExt(ext)
	return m.Type
}

// paintImage paints a still: the scene drawn from seed, tinted, with the prompt's words.
func paintImage(seed [32]byte, t tint, prompt string, w, h int, transparent bool) *image.RGBA {
	c := newCanvas(w, h)
	s := newScene(seed, t)
	s.paint(c, 0, transparent)
	s.caption(c, prompt, 4)
	return c.img
}

// encodeImage writes img in the format ext names.
func encodeImage(w io.Writer, img *image.RGBA, ext string) error {
	switch ext {
	case ".jpg":
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 90})
	case ".gif":
		return gif.Encode(w, quantize(img), nil)
	}
	return pngEncoder.Encode(w, img)
}

// pngEncoder reuses its compressors across images: a fresh one allocates about 1 MB, which
// for thousands of small images is most of what a run allocates.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderPool{}}

type encoderPool struct{ p sync.Pool }

func (e *encoderPool) Get() *png.EncoderBuffer {
	b, _ := e.p.Get().(*png.EncoderBuffer)
	return b
}

func (e *encoderPool) Put(b *png.EncoderBuffer) { e.p.Put(b) }

// tintOf reads the references: each one's hash turns the hue, each one that decodes as an
// image leans the colours toward its average colour and shows as a swatch.
func tintOf(refs []providers.File) (tint, error) {
	var t tint
	var sr, sg, sb, n int
	for _, ref := range refs {
		data, err := os.ReadFile(ref.Path)
		if err != nil {
			return tint{}, &providers.Error{Class: providers.Permanent, Message: fmt.Sprintf("cannot read reference %q", ref.Name), Err: err}
		}
		sum := ref.SHA256
		if sum == "" {
			s := sha256.Sum256(data)
			sum = hex.EncodeToString(s[:])
		}
		hs := seedOf(sum)
		t.hue += 40 + int(hs[0])*280/255 // 40-320 degrees: never nearly the same hue
		if avg, ok := averageColour(data); ok {
			sr, sg, sb, n = sr+int(avg.r), sg+int(avg.g), sb+int(avg.b), n+1
			t.swatches = append(t.swatches, avg)
		} else {
			t.swatches = append(t.swatches, hsv(int(hs[1])*360/256, 160, 220))
		}
	}
	if n > 0 {
		t.lean, t.hasLean = rgb{uint8(sr / n), uint8(sg / n), uint8(sb / n)}, true
	}
	return t, nil
}

// averageColour is the mean colour of an image file over a grid of up to 64x64 samples,
// composited on white, or false when data is not an image.
func averageColour(data []byte) (rgb, bool) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return rgb{}, false
	}
	b := img.Bounds()
	if b.Empty() {
		return rgb{}, false
	}
	nx, ny := min(b.Dx(), 64), min(b.Dy(), 64)
	var sr, sg, sb uint64
	for j := range ny {
		for i := range nx {
			x := b.Min.X + (2*i+1)*b.Dx()/(2*nx)
			y := b.Min.Y + (2*j+1)*b.Dy()/(2*ny)
			r, g, bl, a := img.At(x, y).RGBA() // premultiplied, 16 bits
			bg := 0xffff - uint64(a)
			sr += uint64(r) + bg
			sg += uint64(g) + bg
			sb += uint64(bl) + bg
		}
	}
	n := uint64(nx*ny) * 257
	return rgb{uint8(sr / n), uint8(sg / n), uint8(sb / n)}, true
}

// gifPalette is a 6x7x6 colour cube (green gets the extra level: the eye sees it best) and
// four greys: one fixed palette for every GIF, so frames share it.
var gifPalette = func() color.Palette {
	p := make(color.Palette, 0, 256)
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				p = append(p, color.RGBA{uint8(r * 51), uint8(g * 255 / 6), uint8(b * 51), 255})
			}
		}
	}
	for _, v := range []uint8{32, 96, 160, 224} {
		p = append(p, color.RGBA{v, v, v, 255})
	}
	return p
}()

// bayer is a 4x4 ordered-dither matrix: thresholds 0-15.
var bayer = [4][4]uint32{{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}}

// quantize maps img onto gifPalette with ordered dithering, which keeps gradients smooth and
// is the same on every run (unlike error diffusion, it does not depend on pixel order).
func quantize(img *image.RGBA) *image.Paletted {
	b := img.Rect
	p := image.NewPaletted(b, gifPalette)
	level := func(v uint8, n, th uint32) uint32 {
		s := uint32(v) * (n - 1) // in 255ths of a level
		q, rem := s/255, s%255
		if rem*32 > (2*th+1)*255 {
			q++
		}
		return q
	}
	for y := 0; y < b.Dy(); y++ {
		src := img.Pix[y*img.Stride:]
		dst := p.Pix[y*p.Stride:]
		for x := 0; x < b.Dx(); x++ {
			th := bayer[y&3][x&3]
			px := src[4*x : 4*x+4]
			dst[x] = uint8(level(px[0], 6, th)*42 + level(px[1], 7, th)*6 + level(px[2], 6, th))
		}
	}
	return p
}
