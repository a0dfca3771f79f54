"""Which PostgreSQL server the tests use: GREENCERT_TEST_POSTGRES_URL, else the documented one if it answers.

The README's test command sets nothing, so with the documented server running (127.0.0.1:5432, trust
authentication, database `test`) the PostgreSQL tests run; without it they are reported as not run, with the
variable and the address tried, in pytest's header and in its closing summary (tests/conftest.py), never silently.
`GREENCERT_TEST_POSTGRES_URL=` (set, empty) means: do not use PostgreSQL.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

POSTGRES_ENV = "GREENCERT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3


@dataclass(frozen=True)
class PostgresChoice:
    url: str | None  # None: the PostgreSQL tests do not run
    message: str     # one line saying what was chosen and why


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given: it has no password to hide
        return url


def _answers(url: str) -> str | None:
    """None if a connection to `url` succeeds within the timeout, else why not (one line)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    try:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as e:  # noqa: BLE001 - any failure to connect means the same here: not available
        lines = [line.strip() for line in str(getattr(e, "orig", None) or e).splitlines() if line.strip()]
        return lines[0] if lines else type(e).__name__
    return None


@functools.cache
def postgres_choice() -> PostgresChoice:
    given = os.environ.get(POSTGRES_ENV)
    if given is not None and not given.strip():
        return PostgresChoice(None, f"PostgreSQL tests not run: {POSTGRES_ENV} is set empty (unset it to try "
                                    f"{DEFAULT_POSTGRES_URL}, or set it to a server's URL)")
    if given:
        return PostgresChoice(given, f"PostgreSQL tests use {_redact(given)} ({POSTGRES_ENV})")
    problem = _answers(DEFAULT_POSTGRES_URL)
    if problem is None:
        return PostgresChoice(DEFAULT_POSTGRES_URL, f"PostgreSQL tests use {DEFAULT_POSTGRES_URL} (the documented "
                                                    f"server; {POSTGRES_ENV} is not set)")
    return PostgresChoice(None, f"PostgreSQL tests not run: {POSTGRES_ENV} is not set and no server answered at "
                                f"{DEFAULT_POSTGRES_URL} within {CONNECT_TIMEOUT_S} s ({problem}); start one there, "
                                f"or set {POSTGRES_ENV} to a server's URL")
