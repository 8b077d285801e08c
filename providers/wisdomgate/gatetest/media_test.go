package gatetest

import (
	"bytes"
	"image/png"
	"testing"
)

// The fake's images are real PNGs of the size asked, and different seeds give different bytes.
func TestMakePNG(t *testing.T) {
	a, b := makePNG("tile 1", 64, 32), makePNG("tile 2", 64, 32)
	if bytes.Equal(a, b) {
		t.Fatal("two seeds gave the same PNG")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 64 || got.Y != 32 {
		t.Fatalf("size %v, want 64x32", got)
	}
}

// BenchmarkMakePNG: the fake's cost of one image, which the CLI benchmarks' genform pays on
// the same cores.
func BenchmarkMakePNG(b *testing.B) {
	for range b.N {
		makePNG("tile 123", 64, 64)
	}
}
