"""The public read model: what anyone may read about a certificate, per interval of days, kept beside its log.

A certificate's state on a day is derived from its event log (engine/certificates.py). The public fields of
that state (api.certificates.public_fields) change only on the day of an event and on the day the validity
ends (`expires_on` of the facts in force), so they are constant between those days. The table
`certificate_public_states` (migration 0004) holds one row per such interval: [from_on, until_on) — `until_on`
NULL for the last — with the public view serialised as JSON (without `as_of`, the one field that is the day
asked), and the columns the procurement filters use. Days before the first event have no row.

The rows of a certificate are rewritten (deleted and inserted again from the whole log) in the transaction
that appends its event — `refresh`, called by api.certificates.issue and record_event and by
scripts/generate_registry.py — so a read after a committed event sees it, whichever process serves it.
tests/api/test_api_read_model.py checks that the table equals the replay of the log, over random histories and
a generated registry. Unlike the log, this table is derived and may be rebuilt (`rebuild`) at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.certificates import Event, Status, status_as_of

from .certificate_tables import CertificatePublicState

__all__ = ["intervals", "rows_for", "refresh", "rebuild", "attributes_text", "public_fields"]

_STATES = Table("certificate_public_states", CertificatePublicState.metadata)
CERTIFICATE_FIELDS = ("number", "organisation", "holder_name", "manufacturer", "production_sites", "category",
                      "region")


def public_fields(cert: Mapping[str, Any], status: Status) -> dict[str, Any]:
    """What anyone may read: no test values, no application, no evaluation ids, no reasons. `cert` holds the
    certificate row's columns (CERTIFICATE_FIELDS)."""
    s = status.to_dict()
    return {"number": cert["number"], "as_of": s["as_of"], "state": s["state"], "valid": s["valid"],
            "since": s["since"], "issued_by": cert["organisation"], "holder_name": cert["holder_name"],
            "manufacturer": cert["manufacturer"], "production_sites": list(cert["production_sites"] or ()),
            "category": cert["category"], "region": cert["region"], "models": s["models"],
            "certification_units": s["certification_units"], "edition": s["edition"], "standard": s["standard"],
            "label_kind": s["label_kind"],
            "labels": [{k: lab[k] for k in ("id", "kind", "name_zh", "name_en", "attribute", "grade")}
                       for lab in s["labels"]],
            "issued_on": s["issued_on"], "valid_until": s["valid_until"]}


def intervals(log: Sequence[Event]) -> list[tuple[dt.date, dt.date | None, Status]]:
    """The days on which the public fields may change, each with the status from that day until the next
    (exclusive; None: no end): every event's day and the day the validity in force after it ends."""
    if not log:
        return []
    days: set[dt.date] = set()
    for event in log:
        days.add(event.on)
        facts = status_as_of(log, event.on).facts
        if facts is not None:
            days.add(facts.expires_on)
    ordered = sorted(d for d in days if d >= log[0].on)
    return [(d, ordered[i + 1] if i + 1 < len(ordered) else None, status_as_of(log, d))
            for i, d in enumerate(ordered)]


def attributes_text(view: Mapping[str, Any]) -> str:
    """The labels' attributes and ids as `|a|b|`, for the `attribute` filter (a LIKE on `|x|`)."""
    words = sorted({w for lab in view["labels"] for w in (lab["id"], lab["attribute"]) if w})
    return "|" + "|".join(words) + "|" if words else ""


def rows_for(cert: Mapping[str, Any], log: Sequence[Event]) -> list[dict[str, Any]]:
    """The rows of one certificate; neighbouring intervals with the same view are merged."""
    out: list[dict[str, Any]] = []
    last: bytes | None = None
    for start, end, status in intervals(log):
        view = public_fields(cert, status)
        del view["as_of"]
        body = orjson.dumps(view)
        if body == last:
            out[-1]["until_on"] = end
            continue
        last = body
        out.append(dict(certificate_number=cert["number"], from_on=start, until_on=end, state=view["state"],
                        valid=view["valid"], category=view["category"], label_kind=view["label_kind"],
                        attributes=attributes_text(view), body=body.decode("utf-8")))
    return out


def refresh(session: Session | Connection, cert: Mapping[str, Any], log: Sequence[Event]) -> None:
    """Rewrite the rows of one certificate from its whole log, in the caller's transaction (the one that
    appends the event)."""
    session.execute(delete(_STATES).where(_STATES.c.certificate_number == cert["number"]))
    rows = rows_for(cert, log)
    if rows:
        session.execute(insert(_STATES), rows)


def rebuild(conn: Connection, batch: int = 2000, numbers: Iterable[str] | None = None) -> int:
    """Rebuild the rows of every certificate (or of `numbers`) from the logs; the number of certificates."""
    from .certificate_tables import CertificateEventRecord, CertificateRecord

    certs = CertificateRecord.__table__
    events = CertificateEventRecord.__table__
    query = select(*(certs.c[c] for c in CERTIFICATE_FIELDS)).order_by(certs.c.number)
    if numbers is not None:
        query = query.where(certs.c.number.in_(list(numbers)))
    all_certs = [dict(r._mapping) for r in conn.execute(query)]
    done = 0
    for i in range(0, len(all_certs), batch):
        chunk = all_certs[i:i + batch]
        names = [c["number"] for c in chunk]
        logs: dict[str, list[Event]] = {n: [] for n in names}
        for number, body in conn.execute(select(events.c.certificate_number, events.c.event).where(
                events.c.certificate_number.in_(names)).order_by(events.c.certificate_number, events.c.sequence)):
            logs[number].append(Event.from_dict(body if isinstance(body, dict) else orjson.loads(body)))
        conn.execute(delete(_STATES).where(_STATES.c.certificate_number.in_(names)))
        rows = [row for c in chunk for row in rows_for(c, logs[c["number"]])]
        if rows:
            conn.execute(insert(_STATES), rows)
        done += len(chunk)
    return done
