"""Forecasting: model zoo, backtests, selection and quantile forecasts (issue 3)."""
