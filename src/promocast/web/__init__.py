"""promocast.web."""
