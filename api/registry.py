"""The registry read as a whole: public procurement queries, model coverage, and random draws for spot checks.

A certificate's state on a day is derived from its event log (engine/certificates.py), never stored, so a query
"valid on D" narrows the certificates in SQL (category, holder, region, body, issued on or before D; indexes of
migration 0003) and then reads each candidate's log, in windows of `WINDOW` certificates ordered by number,
until the page is full. Pages are by offset among the matches, with `has_more`; no total is counted (it would
read every log).

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

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, aliased

from engine.certificates import Status

from . import certificates as certs
from .certificate_tables import CertificateEventRecord, CertificateRecord, DrawRecord
from .db import Database, DecisionRecord, utcnow
from .errors import ApiError, not_found
from .keys import Principal

__all__ = ["RegistryQuery", "search", "coverage", "CSV_COLUMNS", "csv_rows", "make_draw", "reproduce_draw",
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


def search(db: Database, q: RegistryQuery, *, limit: int, offset: int) -> tuple[list[certs.Loaded], bool]:
    """One page of the certificates valid on `q.day` matching the filters, by number; (page, has_more)."""
    out: list[certs.Loaded] = []
    with db.read() as session:
        for i, (loaded, _) in enumerate(_scan(session, q, first=offset + limit + 1)):
            if i < offset:
                continue
            if len(out) == limit:
                return out, True
            out.append(loaded)
    return out, False


def coverage(db: Database, model: str, day: dt.date) -> list[certs.Loaded]:
    """The certificates valid on `day` whose scope holds the model `model` (issued for it, or extended to it)."""
    with db.read() as session:
        by_issue = select(CertificateRecord.number).join(
            DecisionRecord, DecisionRecord.id == CertificateRecord.evaluation_id).where(
            DecisionRecord.product_model == model)
        by_event = select(CertificateEventRecord.certificate_number).join(
            DecisionRecord, DecisionRecord.id == CertificateEventRecord.evaluation_id).where(
            DecisionRecord.product_model == model)
        rows = list(session.scalars(select(CertificateRecord).where(
            or_(CertificateRecord.number.in_(by_issue), CertificateRecord.number.in_(by_event)))
            .order_by(CertificateRecord.number)))
        loaded = certs._with_events(session, rows)
    out = []
    for item in loaded:
        status = item.status(day)
        if status.valid and status.facts is not None and model in status.facts.models:
            out.append(item)
    return out


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
