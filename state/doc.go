// Package state owns what genform keeps on disk between runs: the versioned state file
// (genform.state.json), its backup, the project lock, the apply journal, the content-addressed
// output cache and the stat cache of hashed files under .genform/. It also provides the atomic
// file writes (WriteFileAtomic, RenameIntoPlace) the engine uses for outputs. It knows nothing
// of HCL or providers; where each file lives is the caller's choice.
package state
