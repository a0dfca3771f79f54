"""The registry read as a whole: public procurement queries, model coverage, and random draws for spot checks.

A certificate's state on a day is derived from its event log (engine/certificates.py); its public view per
interval of days is kept beside the log (api.read_model, table `certificate_public_states`, rewritten in the
transaction of each event). A query "valid on D" is one SQL query on that table (valid, the interval holding D,
category, label kind, attribute) joined to the certificates for holder, region and body, by number: a page
follows the last number of the one before (`after`, keyset) or, as before, an offset; `has_more`, no total.
The public bodies are read as stored JSON and answered without being parsed again.

A draw (双随机一公开) takes the certificates valid on its day that match its filters, as the registry held them
when the draw was made (rows and events recorded later are left out, so the draw can be reproduced at any later
time), sorts them by number and samples N of them with `random.Random` seeded from the recorded seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, aliased

from engine.certificates import Status

from . import certificates as certs
from .certificate_tables import CertificateEventRecord, CertificatePublicState, CertificateRecord, DrawRecord
from .db import Database, DecisionRecord, utcnow
from .errors import ApiError, not_found
from .keys import Principal

__all__ = ["RegistryQuery", "search", "search_bodies", "public_body", "with_day", "coverage", "coverage_bodies",
           "CSV_COLUMNS", "csv_rows", "make_draw", "reproduce_draw",
           "get_draw", "draw_view", "record_check", "WINDOW", "draw_seed_rng", "sample", "MAX_DRAW"]

WINDOW = 500
MAX_DRAW = 10_000


@dataclass(frozen=True)
class RegistryQuery:
    """Which certificates: valid on `day`, and each given filter."""

    day: dt.date
    category: str | None = None
    label_kind: str | None = None  # full (全项) | partial (分项)
    attribute: str | None = None  # a partial label's attribute, or any label's
    holder: str | None = None  # the holder's organisation or printed name
    region: str | None = None
    issued_by: str | None = None  # the certification body

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in (("category", self.category), ("label_kind", self.label_kind),
                                  ("attribute", self.attribute), ("holder", self.holder), ("region", self.region),
                                  ("issued_by", self.issued_by)) if v is not None}


def _where(q: RegistryQuery, recorded_by: dt.datetime | None = None) -> list[Any]:
    first = aliased(CertificateEventRecord)
    clauses: list[Any] = [select(first.id).where(first.certificate_number == CertificateRecord.number,
                                                 first.sequence == 1, first.effective_on <= q.day).exists()]
    if q.category is not None:
        clauses.append(CertificateRecord.category == q.category)
    if q.holder is not None:
        clauses.append(or_(CertificateRecord.holder == q.holder, CertificateRecord.holder_name == q.holder))
    if q.region is not None:
        clauses.append(CertificateRecord.region == q.region)
    if q.issued_by is not None:
        clauses.append(CertificateRecord.organisation == q.issued_by)
    if recorded_by is not None:
        clauses.append(CertificateRecord.created_at <= recorded_by)
    return clauses


def _matches(q: RegistryQuery, status: Status) -> bool:
    if not status.valid or status.facts is None:
        return False
    f = status.facts
    if q.label_kind is not None and f.label_kind != q.label_kind:
        return False
    return q.attribute is None or any(lab.attribute == q.attribute or lab.id == q.attribute for lab in f.labels)


def _scan(session: Session, q: RegistryQuery, recorded_by: dt.datetime | None = None, first: int = WINDOW
          ) -> Iterator[tuple[certs.Loaded, Status]]:
    """Every matching certificate, by number, with its status on the day; the first window holds `first`
    candidates (what a page needs), the next ones twice as many each, up to `WINDOW`."""
    after = ""
    window = max(10, min(first, WINDOW))
    while True:
        rows = list(session.scalars(select(CertificateRecord).where(*_where(q, recorded_by),
                                                                   CertificateRecord.number > after)
                                    .order_by(CertificateRecord.number).limit(window)))
        if not rows:
            return
        after = rows[-1].number
        window = min(window * 2, WINDOW)
        for loaded in certs._with_events(session, rows):
            if recorded_by is not None:
                loaded = certs.Loaded(loaded.record, [e for e in loaded.events if e.created_at <= recorded_by])
            status = loaded.status(q.day)
            if _matches(q, status):
                yield loaded, status


_STATES = CertificatePublicState


def with_day(body: str | bytes, day: dt.date) -> bytes:
    """A stored public view (JSON without `as_of`) with the day it is read for."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return b'{"as_of":"' + day.isoformat().encode("ascii") + b'",' + raw[1:]


def _on(day: dt.date) -> list[Any]:
    return [_STATES.from_on <= day, or_(_STATES.until_on.is_(None), _STATES.until_on > day)]


def _like_word(word: str) -> str:
    return "%|" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"


def search_bodies(db: Database, q: RegistryQuery, *, limit: int, offset: int = 0, after: str | None = None
                  ) -> tuple[list[bytes], bool]:
    """One page of the certificates valid on `q.day` matching the filters, by number, as public JSON bodies;
    (page, has_more). `after`: the page follows that number (keyset); `offset` skips as many matches."""
    query = select(_STATES.certificate_number, _STATES.body).where(_STATES.valid.is_(True), *_on(q.day))
    if q.category is not None:
        query = query.where(_STATES.category == q.category)
    if q.label_kind is not None:
        query = query.where(_STATES.label_kind == q.label_kind)
    if q.attribute is not None:
        query = query.where(_STATES.attributes.like(_like_word(q.attribute), escape="\\"))
    if q.holder is not None or q.region is not None or q.issued_by is not None:
        query = query.join(CertificateRecord, CertificateRecord.number == _STATES.certificate_number)
        if q.holder is not None:
            query = query.where(or_(CertificateRecord.holder == q.holder, CertificateRecord.holder_name == q.holder))
        if q.region is not None:
            query = query.where(CertificateRecord.region == q.region)
        if q.issued_by is not None:
            query = query.where(CertificateRecord.organisation == q.issued_by)
    if after is not None:
        query = query.where(_STATES.certificate_number > after)
    query = query.order_by(_STATES.certificate_number).limit(limit + 1).offset(offset)
    with db.lookup() as conn:
        rows = list(conn.execute(query))
    return [with_day(body, q.day) for _, body in rows[:limit]], len(rows) > limit


def search(db: Database, q: RegistryQuery, *, limit: int, offset: int = 0, after: str | None = None
           ) -> tuple[list[dict[str, Any]], bool]:
    """`search_bodies`, the views as dicts."""
    bodies, has_more = search_bodies(db, q, limit=limit, offset=offset, after=after)
    return [orjson.loads(b) for b in bodies], has_more


_BODY_SQL = ("SELECT body FROM certificate_public_states WHERE certificate_number = {n} AND from_on <= {d} "
             "AND (until_on IS NULL OR until_on > {d})")
_BODY_BY_DIALECT = {"sqlite": _BODY_SQL.format(n=":n", d=":d"), "postgresql": _BODY_SQL.format(n="%(n)s", d="%(d)s")}


def public_body(db: Database, number: str, day: dt.date) -> bytes | None:
    """The public view of certificate `number` on `day` as JSON, from the read model: one indexed query.
    None when the read model has nothing for that day (no such certificate, or a day before its first event).
    The statement is the driver's own text (the hot path of the public check: building and compiling the
    SQLAlchemy expression took a quarter of the request, measured with py-spy)."""
    sql = _BODY_BY_DIALECT.get(db.dialect)
    if sql is not None:  # SQLite keeps dates as ISO text (SQLAlchemy's Date), PostgreSQL as dates
        try:
            body = db.driver_scalar(sql, {"n": number, "d": day.isoformat() if db.dialect == "sqlite" else day})
        except Exception:  # noqa: BLE001 - a driver error: asked again below, where it is answered as any other
            pass
        else:
            return None if body is None else with_day(body, day)
    with db.lookup() as conn:
        body = conn.execute(select(_STATES.body).where(_STATES.certificate_number == number, *_on(day))).scalar()
    return None if body is None else with_day(body, day)


def coverage_bodies(db: Database, model: str, day: dt.date) -> list[bytes]:
    """The public views (JSON) of the certificates valid on `day` whose scope holds the model `model` (issued
    for it, or extended to it), by number."""
    by_issue = select(CertificateRecord.number).join(
        DecisionRecord, DecisionRecord.id == CertificateRecord.evaluation_id).where(
        DecisionRecord.product_model == model)
    by_event = select(CertificateEventRecord.certificate_number).join(
        DecisionRecord, DecisionRecord.id == CertificateEventRecord.evaluation_id).where(
        DecisionRecord.product_model == model)
    with db.lookup() as conn:  # two queries: PostgreSQL scans the whole table for `IN (…) OR IN (…)` (measured)
        numbers = sorted(set(conn.execute(by_issue.union(by_event)).scalars()))
    if not numbers:
        return []
    with db.lookup() as conn:
        stored = list(conn.execute(select(_STATES.body).where(
            _STATES.valid.is_(True), *_on(day), _STATES.certificate_number.in_(numbers))
            .order_by(_STATES.certificate_number)).scalars())
    bodies = [with_day(b, day) for b in stored]
    return [b for b in bodies if model in orjson.loads(b)["models"]]  # a scope reduction may have removed it


def coverage(db: Database, model: str, day: dt.date) -> list[dict[str, Any]]:
    """`coverage_bodies`, the views as dicts."""
    return [orjson.loads(b) for b in coverage_bodies(db, model, day)]


CSV_COLUMNS = ("number", "state", "category", "edition", "standard", "label_kind", "labels", "attributes",
               "holder_name", "manufacturer", "models", "production_sites", "issued_by", "issued_on", "valid_until")


def csv_rows(views: Sequence[dict[str, Any]], *, header: bool = True) -> str:
    """Public views as CSV (lists joined with `; `)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(CSV_COLUMNS)
    for v in views:
        w.writerow([v["number"], v["state"], v["category"], v["edition"], v["standard"], v["label_kind"],
                    "; ".join(lab["id"] for lab in v["labels"]),
                    "; ".join(sorted({lab["attribute"] for lab in v["labels"] if lab.get("attribute")})),
                    v["holder_name"], v["manufacturer"] or "", "; ".join(v["models"]),
                    "; ".join(v["production_sites"]), v["issued_by"], v["issued_on"] or "", v["valid_until"] or ""])
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- draws

def draw_seed_rng(seed: str) -> random.Random:
    """The generator of a draw: `random.Random` seeded with the recorded seed text (deterministic across runs
    and platforms: a str seed is hashed with SHA-512)."""
    return random.Random(f"greencert-draw:{seed}")


def sample(population: Sequence[str], seed: str, n: int) -> list[str]:
    """N of `population` (sorted by number), without replacement, every subset equally likely, from `seed`."""
    return draw_seed_rng(seed).sample(list(population), min(n, len(population)))


def _draw_numbers(session: Session, q: RegistryQuery, seed: str, n: int,
                  recorded_by: dt.datetime | None) -> tuple[list[str], int]:
    population = [loaded.record.number for loaded, _ in _scan(session, q, recorded_by)]  # sorted by number
    return sample(population, seed, n), len(population)


def make_draw(db: Database, principal: Principal, q: RegistryQuery, n: int, seed: str | None) -> DrawRecord:
    """Draw `n` certificates valid on `q.day` matching `q`, record the draw (its seed: the given one or a new
    random one) and return it."""
    if not 1 <= n <= MAX_DRAW:
        raise ApiError.one(422, "draw_size_invalid", f"a draw takes 1 to {MAX_DRAW} certificates, not {n}", field="n")
    seed = seed if seed is not None else secrets.token_hex(16)
    now = utcnow()
    with db.read() as session:
        numbers, population = _draw_numbers(session, q, seed, n, now)
    values = dict(id=str(uuid.uuid4()), seed=seed, as_of=q.day, filters=q.filters(), requested=n,
                  population=population, numbers=numbers, organisation=principal.organisation,
                  api_key_id=principal.key_id, created_at=now)
    with db.write() as session:
        session.execute(insert(DrawRecord), [values])
    return DrawRecord(**values)


def get_draw(db: Database, draw_id: str) -> DrawRecord:
    with db.read() as session:
        row = session.get(DrawRecord, draw_id[:36])
    if row is None:
        raise not_found("draw", draw_id[:36])
    return row


def _query_of(row: DrawRecord) -> RegistryQuery:
    return RegistryQuery(day=row.as_of, **row.filters)


def reproduce_draw(db: Database, row: DrawRecord) -> list[str]:
    """The numbers the draw's seed gives on the registry as it was when the draw was recorded."""
    with db.read() as session:
        numbers, _ = _draw_numbers(session, _query_of(row), row.seed, row.requested, row.created_at)
    return numbers


def _check_reason(draw_id: str) -> str:
    return f"random draw {draw_id}"


def record_check(services: Any, principal: Principal, draw_id: str, number: str, evaluation_id: str,
                 on: dt.date | None, today: dt.date) -> tuple[certs.Loaded, CertificateEventRecord, bool]:
    """Record the outcome of the spot check of a drawn certificate: a surveillance event resting on the check's
    binding evaluation (granted: stays valid; refused or incomplete: suspended, as any surveillance)."""
    row = get_draw(services.db, draw_id)
    if number not in row.numbers:
        raise ApiError.one(409, "draw_certificate_not_drawn", f"certificate `{number}` is not in draw `{row.id}`",
                           field="number")
    req = certs.EventRequest("surveillance_recorded", on, _check_reason(row.id), evaluation_id, None, (), ())
    return certs.record_event(services, principal, number, req, today=today, idempotency_key=None)


def draw_view(db: Database, row: DrawRecord) -> dict[str, Any]:
    """The public result of a draw: what was drawn, how, and each check's outcome — no evaluation ids, no test
    values, no reasons but the draw's own."""
    with db.read() as session:
        events = list(session.scalars(select(CertificateEventRecord).where(
            CertificateEventRecord.certificate_number.in_(list(row.numbers)),
            CertificateEventRecord.reason == _check_reason(row.id)).order_by(CertificateEventRecord.sequence)))
    checks: dict[str, dict[str, Any]] = {}
    for e in events:
        decision = e.event.get("decision") or {}
        checks[e.certificate_number] = {"checked_on": e.effective_on, "outcome": decision.get("outcome")}
    return {"id": row.id, "seed": row.seed, "as_of": row.as_of, "filters": row.filters, "requested": row.requested,
            "population": row.population, "drawn_at": row.created_at, "issued_by": row.organisation,
            "certificates": [{"number": n, **checks.get(n, {"checked_on": None, "outcome": None})}
                             for n in row.numbers]}
