// Package planfile owns the saved plan: the file genform plan -out writes and genform apply
// PLANFILE, show PLANFILE and gallery -plan read. A saved plan is a versioned JSON envelope
// holding what the plan was made from (config hash, state lineage and serial, the -var,
// -target and -replace choices) and its changes, one typed record per instance; the same
// change records are the "changes" of plan -json.
//
// It leaves planning to engine, and showing a plan to view.
package planfile
