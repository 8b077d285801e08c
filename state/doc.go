// Package state owns what genform keeps on disk between runs: the versioned state file
// (genform.state.json), its backup, the project lock, the apply journal, the content-addressed
// output cache and the stat cache of hashed files under .genform/. It knows nothing of HCL or
// providers.
package state
