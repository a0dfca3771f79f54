"""The manufacturers' self-check page: served by the API service, calling its catalogue and self-check endpoints."""

from .routes import router

__all__ = ["router"]
