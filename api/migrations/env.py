"""Alembic environment: uses the caller's connection (api.migrate) or `GREENCERT_DATABASE_URL`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from api.db import Base, make_engine
from api.settings import Settings

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        if context.get_bind().dialect.name == "postgresql":
            # one migrator at a time when several servers start together
            context.get_bind().execute(text("SELECT pg_advisory_xact_lock(4729183)"))
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url") or Settings().database_url,
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or Settings().database_url)
    try:
        with engine.execution_options(greencert_write=True).begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
