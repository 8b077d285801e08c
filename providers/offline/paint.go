package offline

import (
	"image"
	"math"
)

// The painting primitives: a canvas over an *image.RGBA written through its Pix slice, an
// anti-aliased scanline filler for shapes given as spans, and colour helpers. Everything is
// integer arithmetic so that output is identical on every CPU.

// Fixed point: one pixel is fix units; each pixel row is sampled on subRows sub-scanlines.
const (
	fix     = 256
	subRows = 4
	fullCov = fix * subRows // the coverage of a fully covered pixel
)

// rgb is an opaque colour.
type rgb struct{ r, g, b uint8 }

// rgba is a straight (not premultiplied) colour with an opacity.
type rgba struct {
	rgb
	a uint8
}

func (c rgb) with(a uint8) rgba { return rgba{c, a} }

// mix returns c moved toward d by t/255.
func (c rgb) mix(d rgb, t int) rgb {
	m := func(x, y uint8) uint8 { return uint8((int(x)*(255-t) + int(y)*t + 127) / 255) }
	return rgb{m(c.r, d.r), m(c.g, d.g), m(c.b, d.b)}
}

// luma is c's perceived brightness, 0-255.
func (c rgb) luma() int { return (299*int(c.r) + 587*int(c.g) + 114*int(c.b)) / 1000 }

// hsv converts a hue (degrees, any integer), saturation and value (0-255) to a colour.
func hsv(h, s, v int) rgb {
	h = ((h % 360) + 360) % 360
	region, rem := h/60, (h%60)*255/60
	p := v * (255 - s) / 255
	q := v * (255 - s*rem/255) / 255
	t := v * (255 - s*(255-rem)/255) / 255
	switch region {
	case 0:
		return rgb{uint8(v), uint8(t), uint8(p)}
	case 1:
		return rgb{uint8(q), uint8(v), uint8(p)}
	case 2:
		return rgb{uint8(p), uint8(v), uint8(t)}
	case 3:
		return rgb{uint8(p), uint8(q), uint8(v)}
	case 4:
		return rgb{uint8(t), uint8(p), uint8(v)}
	}
	return rgb{uint8(v), uint8(p), uint8(q)}
}

// sinDeg is sin(d degrees) * 1024, by Bhaskara's approximation (within 0.2%): smooth enough
// for art and exact integer arithmetic everywhere.
func sinDeg(d int) int {
	d = ((d % 360) + 360) % 360
	neg := d >= 180
	if neg {
		d -= 180
	}
	x := d * (180 - d)
	s := 4 * x * 1024 / (40500 - x)
	if neg {
		return -s
	}
	return s
}

func cosDeg(d int) int { return sinDeg(d + 90) }

// isqrt is the floor of the square root of n >= 0.
func isqrt(n int64) int64 {
	x := int64(math.Sqrt(float64(n))) // correctly rounded in IEEE 754: the same everywhere
	for x*x > n {
		x--
	}
	for (x+1)*(x+1) <= n {
		x++
	}
	return x
}

// canvas is an image being painted, with the scratch rows of the span filler.
type canvas struct {
	img  *image.RGBA
	w, h int
	run  []int32 // coverage steps: run[x] starts or ends a fully covered run
	edge []int32 // partial coverage of edge pixels
	sp   []span
}

func newCanvas(w, h int) *canvas {
	return &canvas{
		img:  image.NewRGBA(image.Rect(0, 0, w, h)),
		w:    w,
		h:    h,
		run:  make([]int32, w+2),
		edge: make([]int32, w+2),
	}
}

// The pixel loops below (blend, gradient, glow, rect, fill, hills) are marked go:norace:
// each works on the canvas of one call to Generate, which no other goroutine sees, and under
// -race their instrumented pixel accesses made every test that renders media several times
// slower without checking anything shared.

// blend paints c over the premultiplied pixel p with opacity e (0-255).
//
//go:norace
func blend(p []uint8, c rgb, e uint32) {
	if e == 0 {
		return
	}
	p = p[:4:4]
	inv := 255 - e
	p[0] = uint8((uint32(c.r)*e + uint32(p[0])*inv + 127) / 255)
	p[1] = uint8((uint32(c.g)*e + uint32(p[1])*inv + 127) / 255)
	p[2] = uint8((uint32(c.b)*e + uint32(p[2])*inv + 127) / 255)
	p[3] = uint8(e + (uint32(p[3])*inv+127)/255)
}

// gradient fills the canvas opaquely with lut spread along the direction (dx, dy).
//
//go:norace
func (c *canvas) gradient(lut []rgb, dx, dy int) {
	corners := [4]int{0, (c.w - 1) * dx, (c.h - 1) * dy, (c.w-1)*dx + (c.h-1)*dy}
	lo, hi := corners[0], corners[0]
	for _, v := range corners[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := max(hi-lo, 1)
	scale := int64(len(lut)-1) << 20 / int64(span) // lut steps per unit, 20-bit fraction
	pix := c.img.Pix
	for y := 0; y < c.h; y++ {
		row := pix[y*c.img.Stride : y*c.img.Stride+4*c.w]
		t := int64(y*dy-lo) * scale
		step := int64(dx) * scale
		for x := 0; x < len(row); x += 4 {
			col := lut[t>>20]
			row[x], row[x+1], row[x+2], row[x+3] = col.r, col.g, col.b, 255
			t += step
		}
	}
}

// ramp is a colour lookup table of n entries through the given stops, evenly spaced.
func ramp(n int, stops ...rgb) []rgb {
	lut := make([]rgb, n)
	segs := len(stops) - 1
	for i := range lut {
		pos := i * segs * 255 / (n - 1) // 0 .. segs*255
		k := min(pos/255, segs-1)
		lut[i] = stops[k].mix(stops[k+1], pos-k*255)
	}
	return lut
}

// glow brightens a soft disc of colour col around (cx, cy), strongest (opacity a) at the
// centre and fading to nothing at radius r.
//
//go:norace
func (c *canvas) glow(cx, cy, r int, col rgb, a int) {
	if r <= 0 {
		return
	}
	r2 := int64(r) * int64(r)
	for y := max(cy-r, 0); y < min(cy+r, c.h); y++ {
		dy := int64(y - cy)
		row := c.img.Pix[y*c.img.Stride:]
		for x := max(cx-r, 0); x < min(cx+r, c.w); x++ {
			dx := int64(x - cx)
			d2 := dx*dx + dy*dy
			if d2 >= r2 {
				continue
			}
			f := (r2 - d2) * 255 / r2 // 255 at the centre
			blend(row[4*x:], col, uint32(f*f/255*int64(a)/255))
		}
	}
}

// rect paints the axis-aligned rectangle r in col.
//
//go:norace
func (c *canvas) rect(r image.Rectangle, col rgba) {
	r = r.Intersect(c.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.img.Pix[y*c.img.Stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			blend(row[4*x:], col.rgb, uint32(col.a))
		}
	}
}

// span is a run [x0, x1) of a sub-scanline, in fixed point.
type span struct{ x0, x1 int64 }

// shape reports the spans it covers on the sub-scanline at height y (fixed point).
type shape interface {
	spans(y int64, dst []span) []span
	// rows is the pixel rows the shape may touch.
	rows() (y0, y1 int)
}

// fill paints s in col, anti-aliased: each pixel's opacity is col.a scaled by how much of
// it the shape covers.
//
//go:norace
func (c *canvas) fill(s shape, col rgba) {
	y0, y1 := s.rows()
	y0, y1 = max(y0, 0), min(y1, c.h)
	limit := int64(c.w) * fix
	for y := y0; y < y1; y++ {
		lo, hi := c.w+1, -1
		for k := 0; k < subRows; k++ {
			sy := int64(y)*fix + int64((2*k+1)*fix/(2*subRows))
			c.sp = s.spans(sy, c.sp[:0])
			for _, sp := range c.sp {
				x0, x1 := max(sp.x0, 0), min(sp.x1, limit)
				if x1 <= x0 {
					continue
				}
				a, b := int(x0/fix), int(x1/fix)
				lo, hi = min(lo, a), max(hi, b)
				if a == b {
					c.edge[a] += int32(x1 - x0)
					continue
				}
				c.edge[a] += int32(fix - x0%fix)
				c.run[a+1] += fix
				c.run[b] -= fix
				c.edge[b] += int32(x1 % fix)
			}
		}
		if hi < 0 {
			continue
		}
		row := c.img.Pix[y*c.img.Stride:]
		var acc int32
		for x := lo; x <= hi; x++ {
			acc += c.run[x]
			cov := acc + c.edge[x]
			c.run[x], c.edge[x] = 0, 0
			if x < c.w && cov > 0 {
				blend(row[4*x:], col.rgb, uint32(int32(col.a)*min(cov, fullCov)/fullCov))
			}
		}
		c.run[hi+1] = 0
	}
}

// circle is a disc, or a ring when inner > 0. All values are fixed point.
type circle struct{ cx, cy, r, inner int64 }

func (s circle) rows() (int, int) { return int((s.cy - s.r) / fix), int((s.cy+s.r)/fix) + 1 }

func (s circle) spans(y int64, dst []span) []span {
	dy := y - s.cy
	d := s.r*s.r - dy*dy
	if d <= 0 {
		return dst
	}
	hw := isqrt(d)
	if di := s.inner*s.inner - dy*dy; s.inner > 0 && di > 0 {
		hi := isqrt(di)
		return append(dst, span{s.cx - hw, s.cx - hi}, span{s.cx + hi, s.cx + hw})
	}
	return append(dst, span{s.cx - hw, s.cx + hw})
}

// polygon is a convex polygon with fixed-point vertices.
type polygon []point

// point is a fixed-point position.
type point struct{ x, y int64 }

func (s polygon) rows() (int, int) {
	lo, hi := s[0].y, s[0].y
	for _, p := range s[1:] {
		lo, hi = min(lo, p.y), max(hi, p.y)
	}
	return int(lo / fix), int(hi/fix) + 1
}

func (s polygon) spans(y int64, dst []span) []span {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i, a := range s {
		b := s[(i+1)%len(s)]
		if (a.y <= y && y < b.y) || (b.y <= y && y < a.y) {
			x := a.x + (y-a.y)*(b.x-a.x)/(b.y-a.y)
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if lo >= hi {
		return dst
	}
	return append(dst, span{lo, hi})
}

// rotated is the rectangle w x h (pixels) centred on (cx, cy) turned by deg degrees, as a
// fixed-point polygon.
func rotated(cx, cy, w, h, deg int) polygon {
	c, s := int64(cosDeg(deg)), int64(sinDeg(deg))
	hw, hh := int64(w)*fix/2, int64(h)*fix/2
	corner := func(x, y int64) point {
		return point{int64(cx)*fix + (x*c-y*s)/1024, int64(cy)*fix + (x*s+y*c)/1024}
	}
	return polygon{corner(-hw, -hh), corner(hw, -hh), corner(hw, hh), corner(-hw, hh)}
}

// regular is a regular n-gon of radius r (pixels) centred on (cx, cy), turned by deg.
func regular(cx, cy, r, n, deg int) polygon {
	p := make(polygon, n)
	for i := range p {
		a := deg + i*360/n
		p[i] = point{int64(cx)*fix + int64(r)*fix*int64(cosDeg(a))/1024, int64(cy)*fix + int64(r)*fix*int64(sinDeg(a))/1024}
	}
	return p
}

// hills fills everything below a wavy line: base (pixels from the top) plus the sum of two
// sine waves with the given amplitudes (pixels), wavelengths (pixels) and phase (degrees).
//
//go:norace
func (c *canvas) hills(base, amp1, len1, amp2, len2, phase int, col rgba) {
	tops := make([]int64, c.w) // the line's height at each column's centre, fixed point
	top := int64(c.h) * fix
	for x := range tops {
		a1 := (2*x + 1) * 180 / max(2*len1, 1)
		a2 := (2*x + 1) * 180 / max(2*len2, 1)
		t := int64(base)*fix + int64(amp1)*fix*int64(sinDeg(a1+phase))/1024 + int64(amp2)*fix*int64(sinDeg(a2-2*phase))/1024
		tops[x] = t
		top = min(top, t)
	}
	for y := max(int(top/fix), 0); y < c.h; y++ {
		row := c.img.Pix[y*c.img.Stride:]
		y0, y1 := int64(y)*fix, int64(y+1)*fix
		for x, t := range tops {
			switch {
			case t <= y0:
				blend(row[4*x:], col.rgb, uint32(col.a))
			case t < y1:
				blend(row[4*x:], col.rgb, uint32(int64(col.a)*(y1-t)/fix))
			}
		}
	}
}
