package remote

import (
	"context"
	"io"
	"time"
)

// Store is where a shared cache keeps its objects, by slash-separated key. Implementations are
// safe for concurrent use, by many goroutines and many machines at once.
type Store interface {
	// List calls fn for every object whose key starts with prefix, in one listing (pages of
	// many keys, never one request per object).
	List(ctx context.Context, prefix string, fn func(Object) error) error
	// Get opens an object; a missing one wraps fs.ErrNotExist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put stores size bytes of r under key. Readers see the whole object or nothing: a put
	// cut short leaves no object. sum is the hex sha256 the content must have; a store
	// refuses content that does not match when it can check (dir checks before the rename;
	// s3 sends Content-MD5, which the server checks against the bytes it received).
	Put(ctx context.Context, key string, r io.ReadSeeker, size int64, sum string) error
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for messages (never with credentials).
	String() string
}

// Object is one listed object.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}
