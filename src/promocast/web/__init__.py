"""The dashboard: HTML pages (Jinja2) whose charts (plotly.js, served locally) read the API."""
