package offline

import (
	"crypto/sha256"
	"encoding/binary"
	"image"
	"math/rand/v2"
)

// The composition: a palette and a set of shapes chosen by a PRNG seeded from the prompt's
// hash, painted at any size and at any moment of an animation.

// seedOf hashes the parts, each length-prefixed so that boundaries matter.
func seedOf(parts ...string) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var s [32]byte
	h.Sum(s[:0])
	return s
}

// rng is a PRNG drawing from one 16-byte half of a seed (stream 0 or 1).
func rng(seed [32]byte, stream int) *rand.Rand {
	b := seed[16*stream:]
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])))
}

// between is a uniform integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// palette is the colours of a composition.
type palette struct {
	sky    [3]rgb // the background gradient's stops
	accent [4]rgb // shapes
	deep   rgb    // the darkest tone: hills in front, text panel
}

// tint is what the references contribute: a hue rotation and a colour to lean toward.
type tint struct {
	hue      int  // degrees added to every hue
	lean     rgb  // the references' average colour
	hasLean  bool // lean is set
	swatches []rgb
}

// schemes are hue offsets for the accents: analogous, complementary, triadic, split.
var schemes = [][4]int{
	{0, 30, -30, 60},
	{0, 180, 20, 200},
	{0, 120, 240, 60},
	{0, 150, 210, 30},
}

// newPalette picks colours from r, turned and leant by t.
func newPalette(r *rand.Rand, t tint) palette {
	base := r.IntN(360) + t.hue
	sch := schemes[r.IntN(len(schemes))]
	var p palette
	p.sky[0] = hsv(base+between(r, -20, 20), between(r, 130, 210), between(r, 45, 80))
	p.sky[1] = hsv(base+sch[1]/2, between(r, 110, 190), between(r, 120, 170))
	p.sky[2] = hsv(base+sch[2], between(r, 70, 150), between(r, 200, 240))
	for i := range p.accent {
		p.accent[i] = hsv(base+sch[i]+between(r, -12, 12), between(r, 140, 230), between(r, 190, 250))
	}
	p.deep = hsv(base+sch[3], between(r, 120, 200), between(r, 25, 45))
	if t.hasLean {
		const k = 80 // of 255: a visible but not overpowering cast
		for i := range p.sky {
			p.sky[i] = p.sky[i].mix(t.lean, k)
		}
		for i := range p.accent {
			p.accent[i] = p.accent[i].mix(t.lean, k)
		}
		p.deep = p.deep.mix(t.lean, k/2)
	}
	return p
}

// Composition styles.
const (
	styleLandscape = iota // a sun, hills, floating bubbles
	styleAbstract         // scattered discs, rings and polygons
	styleBands            // diagonal bands crossed by discs
	numStyles
)

// Shape kinds.
const (
	kindDisc = iota
	kindRing
	kindRect
	kindPoly
	kindBand
)

// figure is one shape of a composition. Positions and sizes are in thousandths of the
// canvas (x of the width, y of the height, sizes of the shorter side); drift is how far it
// moves over a whole animation.
type figure struct {
	kind           int
	x, y, size     int
	ratio, sides   int // a rectangle's height or a ring's thickness, percent of size; polygon sides
	angle, spin    int // degrees, and degrees over a whole animation
	driftX, driftY int
	col            rgba
}

// layer is one hill line of a landscape.
type layer struct {
	base, amp1, len1, amp2, len2 int // thousandths of the height (base, amps) or width (lens)
	speed                        int // phase degrees over a whole animation
	col                          rgba
}

// scene is a composition, independent of the canvas size.
type scene struct {
	pal     palette
	style   int
	dirX    int // the gradient's direction
	dirY    int
	glows   []figure
	figures []figure
	hills   []layer
	panelY  int // the text panel's centre, thousandths of the height
	tint    tint
}

// newScene draws a composition from seed: the palette from one stream, the shapes from the
// other, so a tint changes colours and never the layout.
func newScene(seed [32]byte, t tint) *scene {
	pr, r := rng(seed, 0), rng(seed, 1)
	s := &scene{pal: newPalette(pr, t), style: r.IntN(numStyles), tint: t}
	ang := r.IntN(360)
	s.dirX, s.dirY = cosDeg(ang)/16, sinDeg(ang)/16
	if s.dirY < 0 { // keep the light end of the sky mostly at the bottom: a horizon glow
		s.dirY = -s.dirY
	}
	accent := func() rgb { return s.pal.accent[r.IntN(len(s.pal.accent))] }
	for range between(r, 1, 2) {
		s.glows = append(s.glows, figure{x: between(r, 100, 900), y: between(r, 100, 600), size: between(r, 350, 700),
			driftX: between(r, -150, 150), col: accent().with(uint8(between(r, 90, 150)))})
	}
	switch s.style {
	case styleLandscape:
		sun := figure{kind: kindDisc, x: between(r, 150, 850), y: between(r, 280, 460), size: between(r, 110, 220),
			driftY: between(r, -120, -40), col: s.pal.accent[0].with(235)}
		s.glows = append(s.glows, figure{x: sun.x, y: sun.y, size: sun.size * 3, driftY: sun.driftY, col: sun.col.rgb.with(170)})
		s.figures = append(s.figures, sun)
		for range between(r, 3, 7) {
			s.figures = append(s.figures, figure{kind: kindDisc, x: r.IntN(1000), y: between(r, 50, 450), size: between(r, 10, 35),
				driftX: between(r, -200, 200), col: rgb{255, 255, 255}.mix(accent(), 60).with(uint8(between(r, 110, 200)))})
		}
		n := between(r, 2, 3)
		for i := range n {
			s.hills = append(s.hills, layer{
				base: 560 + i*(380/n) + between(r, -30, 30), amp1: between(r, 25, 70), len1: between(r, 450, 1100),
				amp2: between(r, 5, 25), len2: between(r, 120, 300), speed: between(r, 40, 120) * (i + 1),
				col: s.pal.deep.mix(s.pal.accent[1+i%3], 150-i*150/n).with(uint8(220 + i*15)),
			})
		}
		s.panelY = 160
	case styleAbstract:
		for i := range between(r, 7, 11) {
			f := figure{kind: []int{kindDisc, kindRing, kindRect, kindPoly}[r.IntN(4)], x: r.IntN(1000), y: r.IntN(1000),
				size: between(r, 90, 420) * (12 - i) / 12, angle: r.IntN(360), spin: between(r, -90, 90),
				driftX: between(r, -180, 180), driftY: between(r, -120, 120), col: s.pal.accent[i%4].with(uint8(between(r, 150, 225)))}
			f.ratio = between(r, 15, 100)
			f.sides = between(r, 3, 6)
			s.figures = append(s.figures, f)
		}
		s.panelY = []int{230, 770}[r.IntN(2)]
	case styleBands:
		for range between(r, 3, 5) {
			s.figures = append(s.figures, figure{kind: kindBand, x: r.IntN(1000), size: between(r, 60, 220), angle: between(r, 20, 70) * []int{1, -1}[r.IntN(2)],
				driftX: between(r, -250, 250), col: accent().with(uint8(between(r, 90, 170)))})
		}
		for range between(r, 2, 4) {
			s.figures = append(s.figures, figure{kind: []int{kindDisc, kindRing}[r.IntN(2)], x: r.IntN(1000), y: r.IntN(1000), size: between(r, 60, 200),
				ratio: between(r, 15, 40), driftX: between(r, -150, 150), driftY: between(r, -150, 150), col: accent().with(uint8(between(r, 170, 235)))})
		}
		s.panelY = 500
	}
	return s
}

// paint draws the scene on c at moment t of an animation (0-1000; a still image uses 0).
// A transparent scene leaves out the sky and its glows.
func (s *scene) paint(c *canvas, t int, transparent bool) {
	w, h, short := c.w, c.h, min(c.w, c.h)
	px := func(v, drift int) int { return (v + drift*t/1000) * w / 1000 }
	py := func(v, drift int) int { return (v + drift*t/1000) * h / 1000 }
	if !transparent {
		c.gradient(ramp(1024, s.pal.sky[:]...), s.dirX, s.dirY)
		for _, g := range s.glows {
			c.glow(px(g.x, g.driftX), py(g.y, g.driftY), g.size*short/1000, g.col.rgb, int(g.col.a))
		}
	}
	for _, f := range s.figures {
		x, y, size := px(f.x, f.driftX), py(f.y, f.driftY), max(f.size*short/1000, 2)
		ang := f.angle + f.spin*t/1000
		switch f.kind {
		case kindDisc:
			c.fill(circle{cx: int64(x) * fix, cy: int64(y) * fix, r: int64(size) * fix / 2}, f.col)
		case kindRing:
			r := int64(size) * fix / 2
			c.fill(circle{cx: int64(x) * fix, cy: int64(y) * fix, r: r, inner: r * int64(100-min(max(f.ratio, 10), 60)) / 100}, f.col)
		case kindRect:
			c.fill(rotated(x, y, size, max(size*f.ratio/100, 2), ang), f.col)
		case kindPoly:
			c.fill(regular(x, y, size/2, f.sides, ang), f.col)
		case kindBand:
			// A strip through (x, mid-height) at angle degrees from vertical, long enough to
			// cross the whole canvas.
			c.fill(rotated(x, h/2, size, 3*max(w, h), f.angle), f.col)
		}
	}
	for _, l := range s.hills {
		c.hills(l.base*h/1000, l.amp1*h/1000, l.len1*w/1000, l.amp2*h/1000, l.len2*w/1000, l.speed*t/1000, l.col)
	}
	// The references' swatches: small discs with a light rim in the top-right corner.
	r := max(short/36, 4)
	for i, sw := range s.tint.swatches {
		cx, cy := w-r*2-i*r*5/2, r*2
		c.fill(circle{cx: int64(cx) * fix, cy: int64(cy) * fix, r: int64(r+max(r/5, 1)) * fix}, rgb{250, 250, 245}.with(230))
		c.fill(circle{cx: int64(cx) * fix, cy: int64(cy) * fix, r: int64(r) * fix}, sw.with(255))
	}
}

// caption draws words on a translucent panel centred at the scene's panel height, with at
// most maxLines lines, scaled to the canvas.
func (s *scene) caption(c *canvas, words string, maxLines int) {
	scale := textScale(c.w, c.h)
	cols := max((c.w*88/100)/(glyphW*scale), 4)
	lines := wrap(words, cols, maxLines)
	if len(lines) == 0 {
		return
	}
	mask := textMask(lines)
	tw, th := mask.Rect.Dx()*scale, mask.Rect.Dy()*scale
	x := (c.w - tw) / 2
	y := min(max(s.panelY*c.h/1000-th/2, 0), max(c.h-th, 0))
	pad := glyphW * scale
	panel := image.Rect(x-pad, y-pad/2, x+tw+pad, y+th+pad/2)
	c.rect(panel, s.pal.deep.with(150))
	shadow := max(scale/2, 1)
	c.stamp(mask, scale, x+shadow, y+shadow, rgb{10, 10, 16}.with(200))
	c.stamp(mask, scale, x, y, rgb{250, 248, 240}.with(255))
}

// textScale is how many pixels a font pixel takes: at least 34 columns and 10 lines of text
// fit the canvas.
func textScale(w, h int) int {
	return max(1, min(w/(glyphW*34), h/(glyphH*10)))
}
