package offline

import (
	"reflect"
	"testing"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		cols     int
		maxLines int
		want     []string
	}{
		{"fits", "A red fox", 20, 3, []string{"A red fox"}},
		{"wraps at spaces", "A red fox in the snow", 10, 3, []string{"A red fox", "in the", "snow"}},
		{"collapses spaces", "  A\tred \n fox ", 20, 3, []string{"A red fox"}},
		{"cuts a long word", "abcdefghijkl", 5, 3, []string{"abcde", "fghij", "kl"}},
		{"truncates", "one two three four five six", 9, 2, []string{"one two", "three..."}},
		{"truncates after a whole word", "aaa bbb ccc ddd eee", 11, 1, []string{"aaa bbb..."}},
		{"folds accents", "Café naïve – Straße", 30, 2, []string{"Cafe naive - Strasse"}},
		{"drops what it cannot draw", "Tea ☕ time", 30, 2, []string{"Tea time"}},
		{"empty", "   ", 10, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrap(tt.text, tt.cols, tt.maxLines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("wrap(%q, %d, %d) = %q, want %q", tt.text, tt.cols, tt.maxLines, got, tt.want)
			}
		})
	}
}

func TestTextMaskDrawsWords(t *testing.T) {
	m := textMask([]string{"Hi", "there"})
	if m.Rect.Dx() != 5*glyphW || m.Rect.Dy() != 2*glyphH {
		t.Fatalf("mask %v, want 5x2 glyphs", m.Rect)
	}
	lit := 0
	for _, v := range m.Pix {
		if v != 0 {
			lit++
		}
	}
	if lit < 20 {
		t.Errorf("%d lit pixels: the words were not drawn", lit)
	}
}
