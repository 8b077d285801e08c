package remote

// Refresh drops the listing, so the next lookup lists the store again and sees what other
// processes wrote since: a runner, which lives through a whole run, calls it before each
// batch, and the apply that started the run before it places the others' outputs.
func (c *Cache) Refresh() {
	defer c.lock()()
	c.blobs, c.blobMod, c.entries = nil, nil, nil
}
