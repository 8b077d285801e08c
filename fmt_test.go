package main

import (
	"os"
	"testing"
)

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func TestEnsureIgnored(t *testing.T) {
	tests := []struct{ name, old, want string }{
		{"no file", "\x00", ".genform/\n"},
		{"no final newline", "bin/", "bin/\n.genform/\n"},
		{"already there", "bin/\n/.genform\n", "bin/\n/.genform\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/.gitignore"
			if tt.old != "\x00" {
				if err := writeFileAtomic(path, []byte(tt.old)); err != nil {
					t.Fatal(err)
				}
			}
			changed, err := ensureIgnored(path)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := readFileString(path)
			if data != tt.want || changed != (tt.old != tt.want) {
				t.Errorf(".gitignore = %q (changed %v), want %q", data, changed, tt.want)
			}
		})
	}
}
