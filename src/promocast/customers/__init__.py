"""promocast.customers."""
