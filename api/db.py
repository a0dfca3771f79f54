"""The database: tables (SQLAlchemy 2), engines for SQLite (WAL) and PostgreSQL, and short transactions."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    String,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's busy timeout alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["Base", "ApiKey", "RuleSetSnapshot", "DecisionRecord", "Database", "make_engine", "utcnow", "ROLES",
           "API_ROLES"]

ROLES = ("certification_body", "manufacturer", "rule_author", "administrator", "operator")
# the roles a key made over HTTP may have: an operator key (service-wide) is made only on the server, by the CLI
API_ROLES = ROLES[:-1]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are UTC everywhere; SQLite keeps them naive, so the zone is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    """A Bearer key: only the sha256 of the whole token is kept; `id` is its public, listable part."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class RuleSetSnapshot(Base):
    """The content of a rule-set version, stored the first time a decision uses it, never changed."""

    __tablename__ = "ruleset_snapshots"

    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON())
    stored_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class DecisionRecord(Base):
    """One evaluation, binding or a stored self-check. Rows are only ever inserted (the migration adds
    triggers that refuse UPDATE and DELETE); a re-evaluation is a new row whose `supersedes` names the old."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    binding: Mapped[bool] = mapped_column(Boolean())
    organisation: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[str] = mapped_column(String(40), ForeignKey("api_keys.id"))
    category: Mapped[str] = mapped_column(String(100))
    application_id: Mapped[str | None] = mapped_column(String(200))
    product_model: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    ruleset_id: Mapped[str] = mapped_column(String(200))
    ruleset_version: Mapped[str] = mapped_column(String(100), ForeignKey("ruleset_snapshots.version"))
    as_of: Mapped[dt.date] = mapped_column(Date())
    application: Mapped[Any] = mapped_column(JSON())
    decision: Mapped[dict[str, Any]] = mapped_column(JSON())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    supersedes: Mapped[str | None] = mapped_column(String(36), ForeignKey("decisions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("organisation", "idempotency_key", name="uq_decisions_organisation_idempotency_key"),
        Index("ix_decisions_organisation_binding_created", "organisation", "binding", "created_at"),
        Index("ix_decisions_supersedes", "supersedes"),
        Index("ix_decisions_product_model", "product_model"),
    )


def _sqlite_file(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _json_text(value: Any) -> str:
    """JSON columns are written with orjson (a decision is ~30 kB of JSON: 5x faster than json.dumps,
    measured); what orjson refuses (an integer beyond 64 bits) falls back to the standard library."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _private_sqlite_file(path: Path) -> None:
    """The database holds every decision and the keys' hashes: a new file is made readable by its owner only
    (0600; SQLite gives its -wal and -shm files the database file's mode) in a new directory of its owner
    only (0700). Existing files and directories keep the mode they were given."""
    # missing parents of the directory get the default mode, as for any tool
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def make_engine(url: str) -> Engine:
    """SQLite: WAL, synchronous=FULL, foreign keys on, and BEGIN emitted by us so that write transactions
    can take the write lock up front (BEGIN IMMEDIATE) instead of failing to upgrade a read lock.

    PostgreSQL: no pre-ping (it doubled the round trips of every request, measured); a connection the server
    dropped is discovered by the statement that fails on it, which answers 503 with Retry-After, and the pool
    replaces it; connections are recycled after 30 minutes."""
    path = _sqlite_file(url)
    if path is not None:
        _private_sqlite_file(path)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800, json_serializer=_json_text)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           json_serializer=_json_text)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own; `_on_begin` does
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("greencert_lookup", False):
            return  # one read statement (Database.lookup): its own transaction in the driver's autocommit mode
        immediate = conn.get_execution_options().get("greencert_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class _WriterQueue:
    """SQLite writers of every process of the service queue on a file lock beside the database (`flock`, which
    the kernel hands to the next waiter at once) before they take SQLite's write lock. Without it a writer of
    another process finds the database locked and SQLite's busy handler sleeps 1, 2, 5 ... 100 ms between tries:
    p99 latency of binding evaluations over 2 s at 32 concurrent requests on 2 workers (measured). Writers that
    do not take this lock (another program) are still handled by SQLite's busy timeout."""

    def __init__(self, database: Path):
        self.path = database.with_name(database.name + ".write-lock")
        self._local = threading.Lock()  # flock does not exclude threads sharing one open file

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._local:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock


class _DriverReader:
    """One driver connection per thread, outside the pool, for the public read path's single statements
    (`Database.driver_scalar`): SQLAlchemy's connection checkout, events and result objects cost 150 µs around a
    20 µs SQLite query (measured). The connection comes from the engine (so `make_engine`'s settings apply) and
    is detached from its pool; SQLite's is in autocommit mode already, PostgreSQL's is put in it. Threads:
    the event loop's, and FastAPI's pool; each opens its own (a spawned server worker opens its own, too)."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._local = threading.local()

    def _connection(self) -> Any:
        conn: Any = getattr(self._local, "conn", None)
        if conn is None:
            fairy = self._engine.raw_connection()
            fairy.detach()
            conn = fairy.dbapi_connection
            if self._engine.dialect.name == "postgresql":
                conn.autocommit = True
            self._local.conn = conn
        return conn

    def scalar(self, sql: str, params: dict[str, Any]) -> Any:
        conn = self._connection()
        try:
            row = conn.execute(sql, params).fetchone()
        except Exception:
            self._local.conn = None  # a dropped connection: the next statement opens another
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - already broken; closing is best effort
                pass
            raise
        return None if row is None else row[0]


class Database:
    """One engine and two kinds of short transaction: `read()` and `write()` (commits on success)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(greencert_write=True), expire_on_commit=False)
        # One statement needs no BEGIN ... ROLLBACK around it. SQLite: the driver is in autocommit mode already
        # (`make_engine`), `_on_begin` emits no BEGIN for these connections (SQLAlchemy's autocommit switch
        # would change the driver's transaction handling); PostgreSQL: autocommit
        self._lookup = (self.engine.execution_options(greencert_lookup=True) if self.dialect == "sqlite"
                        else self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        self._driver = _DriverReader(self.engine)
        path = _sqlite_file(url)
        self._writers = _WriterQueue(path) if path is not None and fcntl is not None else None

    def lookup(self) -> Connection:
        """A connection for one read statement, for the key lookup of every request: on PostgreSQL outside any
        transaction (autocommit), one round trip instead of three (BEGIN, SELECT, ROLLBACK)."""
        return self._lookup.connect()

    def driver_scalar(self, sql: str, params: dict[str, Any]) -> Any:
        """The first column of the first row of one read statement in the driver's own SQL and parameter style
        (`:name` for SQLite, `%(name)s` for PostgreSQL), on a connection of this thread kept outside the pool:
        for the hot public reads only. A driver error is raised as the driver's; the caller falls back."""
        return self._driver.scalar(sql, params)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._writers.held() if self._writers is not None else nullcontext(), \
                self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


# the certificate tables live in their own module; importing it here puts them on `Base.metadata` with the others
from . import certificate_tables as _certificate_tables  # noqa: E402,F401
from . import impact_tables as _impact_tables  # noqa: E402,F401  (the impact jobs' tables, likewise)
