package remotetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"testing"

	"github.com/genform/genform/remote"
)

// Sum is the hex sha256 of data.
func Sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Conformance checks what every remote.Store promises.
func Conformance(t *testing.T, s remote.Store) {
	ctx := context.Background()
	t.Run("put get list delete", func(t *testing.T) {
		data := []byte("hello, shared cache")
		if err := s.Put(ctx, "cas/ab/one", bytes.NewReader(data), int64(len(data)), Sum(data)); err != nil {
			t.Fatal(err)
		}
		r, err := s.Get(ctx, "cas/ab/one")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %q, %v; want %q", got, err, data)
		}
		keys := list(t, s, "cas/")
		if len(keys) != 1 || keys[0] != fmt.Sprintf("cas/ab/one:%d", len(data)) {
			t.Fatalf("list: %v", keys)
		}
		if err := s.Delete(ctx, "cas/ab/one"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "cas/ab/one"); err != nil {
			t.Fatalf("deleting a missing object: %v", err)
		}
		if _, err := s.Get(ctx, "cas/ab/one"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("get after delete: %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		r, err := s.Get(ctx, "ac/nothing-here")
		if err == nil {
			_, err = io.ReadAll(r)
			r.Close()
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("get of a missing key: %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("wrong content refused", func(t *testing.T) {
		data := []byte("these bytes")
		err := s.Put(ctx, "cas/cd/bad", bytes.NewReader(data), int64(len(data)), Sum([]byte("other bytes")))
		if err == nil {
			t.Fatal("a put whose bytes do not match its sha256 succeeded")
		}
		if err != nil && len(list(t, s, "cas/cd/")) != 0 {
			t.Fatal("a refused put left an object")
		}
		s.Delete(ctx, "cas/cd/bad")
	})
	t.Run("list pages", func(t *testing.T) {
		const n = 1100 // more than one page of an S3 listing
		for i := range n {
			data := []byte(fmt.Sprint(i))
			if err := s.Put(ctx, fmt.Sprintf("ac/page/%04d", i), bytes.NewReader(data), int64(len(data)), Sum(data)); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(list(t, s, "ac/page/")); got != n {
			t.Fatalf("listed %d keys, want %d", got, n)
		}
		for i := range n {
			s.Delete(ctx, fmt.Sprintf("ac/page/%04d", i))
		}
	})
}

func list(t *testing.T, s remote.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, func(o remote.Object) error {
		keys = append(keys, fmt.Sprintf("%s:%d", o.Key, o.Size))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}
