// Package remote owns the shared output cache: a content-addressed store of output blobs by
// sha256 plus an action cache that maps an input hash to the record it produced (Bazel's
// remote cache, in genform's words). Cache implements it over any Store; dir/ (a shared
// folder) and s3/ (an S3-compatible bucket) are the stores. Where credentials come from, how
// the remote is declared and what the engine does with it are left to the stores, schema and
// main.
//
// Layout under the store's root: cas/ab/<sha256> for blobs, ac/<input hash> for entries (one
// JSON record each). A blob is written before its entry and removed after it, so an entry
// never names a blob that is not there for longer than a gc takes.
package remote
