package gatetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// PNG returns a real w x h PNG for seed: different seeds give different bytes (the seed's
// sha256 is in a text chunk), and the pixels are a gradient of the size's own.
func PNG(seed string, w, h int) []byte { return makePNG(seed, w, h) }

// makeImage draws the gradient of a seed (for JPEGs; PNGs share their size's).
func makeImage(seed string, w, h int) image.Image {
	sum := sha256.Sum256([]byte(seed))
	img := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	for y := range img.Rect.Dy() {
		row := img.Pix[y*img.Stride:]
		for x := range img.Rect.Dx() {
			px := row[4*x : 4*x+4 : 4*x+4]
			px[0], px[1], px[2], px[3] = sum[0]+uint8(x), sum[1]+uint8(y), sum[2], 255
		}
	}
	return img
}

// pngTemplates holds one encoded PNG per size. Encoding one (filtering and compressing its
// rows) takes about 180 us, which in the CLI benchmarks is taken from the CLI's own 2 cores;
// a seed's PNG is its size's template with a text chunk added, about 1 us.
var pngTemplates sync.Map // [2]int{w, h} -> []byte

func makePNG(seed string, w, h int) []byte {
	w, h = max(w, 1), max(h, 1)
	tpl, ok := pngTemplates.Load([2]int{w, h})
	if !ok {
		var b bytes.Buffer
		if err := png.Encode(&b, makeImage("genform", w, h)); err != nil {
			panic(err) // encoding to memory cannot fail
		}
		tpl, _ = pngTemplates.LoadOrStore([2]int{w, h}, b.Bytes())
	}
	const afterIHDR = 8 + 25 // the signature, then IHDR: length, type, 13 bytes, CRC
	t := tpl.([]byte)
	sum := sha256.Sum256([]byte(seed))
	text := append([]byte("tEXtgenform-seed\x00"), hex.EncodeToString(sum[:])...)
	out := make([]byte, 0, len(t)+len(text)+8)
	out = append(out, t[:afterIHDR]...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(text)-4))
	out = append(out, text...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(text))
	return append(out, t[afterIHDR:]...)
}

func makeJPEG(seed string, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, makeImage(seed, w, h), nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ratioDims gives small pixel dimensions with a Gemini aspect ratio: 64 on the long side.
func ratioDims(ratio string) (int, int) {
	a, b, ok := strings.Cut(ratio, ":")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || x <= 0 || y <= 0 {
		return 64, 64
	}
	s := 64 / max(x, y)
	if s == 0 {
		return 64, 64
	}
	return x * s, y * s
}

// sizeDims gives the images API size divided by 16 ("1536x1024" -> 96x64).
func sizeDims(size string) (int, int) {
	a, b, ok := strings.Cut(size, "x")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || x < 16 || y < 16 || x > 8192 || y > 8192 {
		return 64, 64
	}
	return x / 16, y / 16
}

// mp4Header returns the first bytes of a size-byte MP4: an ftyp box, then the header of an
// mdat box holding the rest.
func mp4Header(size int64) []byte {
	size = max(size, 32)
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0x18})
	b.WriteString("ftypisom")
	b.Write([]byte{0, 0, 2, 0})
	b.WriteString("isommp41")
	rest := size - int64(b.Len())
	if rest <= 0xffffffff {
		binary.Write(&b, binary.BigEndian, uint32(rest))
		b.WriteString("mdat")
	} else {
		binary.Write(&b, binary.BigEndian, uint32(1))
		b.WriteString("mdat")
		binary.Write(&b, binary.BigEndian, uint64(rest))
	}
	return b.Bytes()
}

// serveMP4 streams a generated MP4 of the given size without holding it in memory.
func serveMP4(w http.ResponseWriter, r *http.Request, seed string, size int64) {
	head := mp4Header(size)
	size = max(size, int64(len(head)))
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(head); err != nil {
		return
	}
	sum := sha256.Sum256([]byte(seed))
	chunk := bytes.Repeat(sum[:], 64<<10/len(sum))
	io.Copy(w, &patternReader{pattern: chunk, left: size - int64(len(head))})
}

// patternReader yields left bytes of a repeated pattern.
type patternReader struct {
	pattern []byte
	off     int
	left    int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], p.pattern[p.off:])
		n += c
		p.off = (p.off + c) % len(p.pattern)
	}
	p.left -= int64(n)
	return n, nil
}
