"""Self-contained HTML reports (plotly.js inlined: the report opens offline)."""
