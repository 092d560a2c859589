"""Golden recordings (placeholder map, rewritten in the next commit)."""
