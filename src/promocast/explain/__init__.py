"""promocast.explain."""
