"""Service settings from the environment (prefix `GREENCERT_`) and `.env`, behind a cached getter."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from engine import default_catalog_dir, default_rules_dir

__all__ = ["Settings", "get_settings", "default_data_dir", "default_database_url"]


def default_data_dir() -> Path:
    """Where the embedded database lives unless told otherwise: `$XDG_DATA_HOME/greencert`, i.e.
    `~/.local/share/greencert` when XDG_DATA_HOME is unset. One per user, not per checkout or working directory,
    so `greencert serve` and `greencert keys create` find the same records wherever they are started;
    GREENCERT_DATABASE_URL (environment or `.env`) or `--database-url` names another database."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "greencert"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'greencert.db'}"


def _split_paths(value: Any) -> Any:
    # `GREENCERT_RULES_DIRS=/a:/b` (os.pathsep) or a JSON-free comma list; lists pass through unchanged
    if isinstance(value, str):
        parts = [p.strip() for chunk in value.split(os.pathsep) for p in chunk.split(",")]
        return [p for p in parts if p]
    return value


class Settings(BaseSettings):
    """Everything the service reads from its environment; tests build one directly."""

    model_config = SettingsConfigDict(env_prefix="GREENCERT_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore", frozen=True)

    database_url: str = Field(default_factory=default_database_url,
                              description="SQLAlchemy URL; `postgresql+psycopg://...` for PostgreSQL; default: "
                                          "the SQLite file `greencert.db` in `default_data_dir()`")
    catalog_dir: Path = Field(default_factory=default_catalog_dir)
    rules_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=lambda: [default_rules_dir()])
    overlay_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="a certification body's own limit values (overlay files)")
    overlay_organisation: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="the organisation owning the overlays: only its keys (and the operator's) read and evaluate "
                    "with them; required with `overlay_dirs`")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="larger request bodies get 413")
    max_batch_items: int = Field(default=100, ge=1, le=10_000)
    # --- reading bodies (docs/api.md, "Bounded reading"): in worker processes, per service worker ------------
    parse_processes: int = Field(
        default=2, ge=1, le=64,
        description="worker processes that read and check request bodies and uploaded rule files (YAML, JSON, "
                    "schema), so that no body holds the event loop; a job waits for a free one")
    parse_timeout_seconds: float = Field(
        default=10.0, gt=0, le=3_600,
        description="reading and checking one body (or uploaded rule file), waiting for a free process "
                    "included, must end within this; else its process is killed and the answer is 503")
    # --- edition impact jobs (docs/registry.md, "Edition impact through the API") ------------------------------
    impact_jobs: int = Field(
        default=2, ge=1, le=64,
        description="impact jobs running at once on this database (each in its own process, with its workers); "
                    "one at a time per certification body")
    impact_workers: int = Field(
        default=2, ge=0, le=64,
        description="worker processes of one impact job (0: the job's own process evaluates)")
    auto_migrate: bool = Field(default=True, description="bring the database schema to the newest revision on start")

    # --- abuse limits (docs/api.md, "Abuse limits"): per worker process, per client address -----------------
    auth_failure_limit: int = Field(
        default=20, ge=1, le=1_000_000,
        description="failed authentications (unknown, revoked or malformed keys) a client address may make "
                    "within `auth_failure_window_seconds`; beyond it they are answered 429 with Retry-After")
    auth_failure_window_seconds: float = Field(default=60.0, gt=0, le=86_400)
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, le=600,
        description="a request's line and headers must have arrived this long after they began (or after the "
                    "connection opened); else 408 and the connection is closed")
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3_600,
        description="a request's body must have arrived this long after its headers; else 408 and the "
                    "connection is closed")

    @field_validator("rules_dirs", "overlay_dirs", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> Any:
        return _split_paths(value)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
