"""promocast.promotions."""
