package schema

import "github.com/hashicorp/hcl/v2"

// EvalContext is the context provider blocks are decoded in: var, local, path and every
// function (env among them), but no asset values.
func (c *Config) EvalContext() *hcl.EvalContext { return c.base }
