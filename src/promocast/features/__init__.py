"""Features: calendars and event features, price and promotion features (pure functions)."""
