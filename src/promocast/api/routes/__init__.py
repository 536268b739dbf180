"""API routers by area; each route calls one service."""
