"""promocast.inventory."""
