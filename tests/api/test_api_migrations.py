"""Migrations from an empty database on SQLite and PostgreSQL; the schema matches the models; append-only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from api.db import Base, Database
from api.migrate import current_revision, head_revision, upgrade
from tests.support.api_support import BACKENDS, database_url_for

TABLES = {"api_keys", "ruleset_snapshots", "decisions", "alembic_version"}


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with database_url_for(request.param, tmp_path) as url:
        db = Database(url)
        yield db
        db.dispose()


def _insert_decision(db: Database) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with db.write() as s:
        s.execute(text("INSERT INTO api_keys (id, secret_hash, organisation, role, created_at) "
                       "VALUES ('key_1', 'h', 'o', 'certification_body', :now)"), {"now": now})
        s.execute(text("INSERT INTO ruleset_snapshots (version, ruleset_id, snapshot, stored_at) "
                       "VALUES ('sha256:x', 'r', '{}', :now)"), {"now": now})
        s.execute(text("INSERT INTO decisions (id, binding, organisation, api_key_id, category, product_model, outcome, "
                       "ruleset_id, ruleset_version, as_of, application, decision, created_at) VALUES "
                       "('d1', true, 'o', 'key_1', 'coatings', 'm', 'granted', 'r', 'sha256:x', :day, '{}', '{}', :now)"),
                  {"day": dt.date(2026, 11, 1), "now": now})


def test_migrations_run_from_empty_and_match_the_models(empty_db: Database) -> None:
    assert not inspect(empty_db.engine).get_table_names()
    upgrade(empty_db.engine)
    assert TABLES <= set(inspect(empty_db.engine).get_table_names())
    assert current_revision(empty_db.engine) == head_revision()
    with empty_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"the migrations and api/db.py disagree: {diff}"
    upgrade(empty_db.engine)  # a second run is a no-op
    assert current_revision(empty_db.engine) == head_revision()


def test_downgrade_to_empty_and_back(empty_db: Database) -> None:
    upgrade(empty_db.engine)
    from alembic import command

    from api.migrate import alembic_config
    cfg = alembic_config()
    with empty_db.engine.execution_options(greencert_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(empty_db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_db.engine)
    assert TABLES <= set(inspect(empty_db.engine).get_table_names())


@pytest.mark.parametrize("statement", ["UPDATE decisions SET outcome = 'refused'", "DELETE FROM decisions",
                                       "UPDATE ruleset_snapshots SET ruleset_id = 'other'",
                                       "DELETE FROM ruleset_snapshots"])
def test_the_database_refuses_to_change_decisions(empty_db: Database, statement: str) -> None:
    upgrade(empty_db.engine)
    _insert_decision(empty_db)
    with pytest.raises(DBAPIError, match="append-only"), empty_db.write() as s:
        s.execute(text(statement))
    with empty_db.read() as s:
        assert s.execute(text("SELECT outcome FROM decisions WHERE id = 'd1'")).scalar_one() == "granted"


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'g.db'}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    assert (tmp_path / "nested" / "dir" / "g.db").exists()
    db.dispose()
