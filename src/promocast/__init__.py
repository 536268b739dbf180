"""promocast: sales forecasting and promotion decisions for e-commerce shops."""

__version__ = "0.1.0"
