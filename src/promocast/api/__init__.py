"""promocast.api."""
