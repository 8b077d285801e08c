// Package s3 is a shared output cache in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...),
// through minio-go. Credentials come only from the environment, in the usual AWS order: the
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN variables, the shared
// credentials file's AWS_PROFILE (default "default"), then the instance or task role. They are
// never part of the configuration and never appear in what this package returns.
package s3

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/genform/genform/remote"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config is what the `cache "s3"` block says.
type Config struct {
	Bucket   string
	Prefix   string // keys start with it, e.g. "cache/"
	Endpoint string // "https://minio.internal:9000"; "" for AWS
	Region   string
}

const (
	// opTimeout bounds one request (a blob of a few hundred megabytes included).
	opTimeout = 10 * time.Minute
	// listPage is how many keys one list request returns.
	listPage = 1000
)

// Store is a bucket (and prefix) holding a shared cache.
type Store struct {
	core   minio.Core
	bucket string
	prefix string
	where  string
}

// Open makes a client for the bucket. It sends nothing: an unreachable endpoint shows on first
// use.
func Open(cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("the s3 cache needs a bucket")
	}
	host, secure, lookup := "s3.amazonaws.com", true, minio.BucketLookupAuto
	if cfg.Region != "" {
		host = "s3." + cfg.Region + ".amazonaws.com"
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("the s3 cache endpoint must look like https://host:port, without a path or credentials")
		}
		host, secure, lookup = u.Host, u.Scheme == "https", minio.BucketLookupPath
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{}, // reads AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE
		&credentials.IAM{},
	})
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport(),
		MaxRetries:   3,
	})
	if err != nil {
		return nil, fmt.Errorf("the s3 cache: %w", err)
	}
	where := "s3://" + cfg.Bucket + "/" + cfg.Prefix
	if cfg.Endpoint != "" {
		where += " at " + cfg.Endpoint
	}
	return &Store{core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: cfg.Prefix, where: where}, nil
}

func transport() http.RoundTripper {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   32,
	}
}

func (s *Store) String() string { return s.where }

// List lists the keys under prefix, a page of 1,000 per request.
func (s *Store) List(ctx context.Context, prefix string, fn func(remote.Object) error) error {
	token := ""
	for {
		res, err := s.listPage(ctx, s.prefix+prefix, token)
		if err != nil {
			return s.fail("listing", prefix, err)
		}
		for _, o := range res.Contents {
			key, ok := strings.CutPrefix(o.Key, s.prefix)
			if !ok {
				continue
			}
			if err := fn(remote.Object{Key: key, Size: o.Size, Modified: o.LastModified}); err != nil {
				return err
			}
		}
		if !res.IsTruncated || res.NextContinuationToken == "" {
			return nil
		}
		token = res.NextContinuationToken
	}
}

func (s *Store) listPage(ctx context.Context, prefix, token string) (minio.ListBucketV2Result, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	done := make(chan struct{})
	var res minio.ListBucketV2Result
	var err error
	go func() { // Core.ListObjectsV2 takes no context: bound it from here
		defer close(done)
		res, err = s.core.ListObjectsV2(s.bucket, prefix, "", token, "", listPage)
	}()
	select {
	case <-done:
		return res, err
	case <-ctx.Done():
		return res, ctx.Err()
	}
}

// Get opens an object; the body is bounded by the request's timeout.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		cancel()
		return nil, s.fail("reading", key, err)
	}
	return &cancelBody{ReadCloser: body, cancel: cancel}, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// Put checks the bytes against sum, then uploads them in one request with Content-MD5 and the
// payload's sha256, which the server checks against the bytes it received: a body cut short
// or changed on the way is refused, and S3 never shows a partly written object.
func (s *Store) Put(ctx context.Context, key string, r io.ReadSeeker, size int64, sum string) error {
	h, h256 := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(h, h256), io.LimitReader(r, size))
	if err != nil {
		return s.fail("writing", key, err)
	}
	if n != size || (sum != "" && hex.EncodeToString(h256.Sum(nil)) != sum) {
		return fmt.Errorf("writing %s: the bytes to send do not match their size and sha256", key)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return s.fail("writing", key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err = s.core.PutObject(ctx, s.bucket, s.prefix+key, r, size,
		base64.StdEncoding.EncodeToString(h.Sum(nil)), sum, minio.PutObjectOptions{})
	if err != nil {
		return s.fail("writing", key, err)
	}
	return nil
}

// Delete removes an object.
func (s *Store) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.core.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return s.fail("removing", key, err)
	}
	return nil
}

// fail words a client error; a missing object wraps fs.ErrNotExist.
func (s *Store) fail(what, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey":
		return fmt.Errorf("%s %s: %w", what, key, fs.ErrNotExist)
	case resp.Code != "":
		return fmt.Errorf("%s %s: %s (%s, HTTP %d)", what, key, resp.Message, resp.Code, resp.StatusCode)
	}
	return fmt.Errorf("%s %s: %w", what, key, err)
}
