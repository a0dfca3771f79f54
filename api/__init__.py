"""The HTTP API for certification bodies, manufacturers and rule authors (FastAPI)."""
