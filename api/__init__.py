"""The HTTP API for certification bodies, manufacturers and rule authors (FastAPI)."""

from .app import app_from_environment, create_app
from .service import load_repository
from .settings import Settings, get_settings

__all__ = ["Settings", "app_from_environment", "create_app", "get_settings", "load_repository"]
