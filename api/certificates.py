"""What the certificate routes do: issue from a granted binding evaluation, append events, derive the status.

The state machine is engine/certificates.py (pure); this module reads the log from the database, asks the
engine whether the next event may follow it, and appends it in the same transaction. Numbers come from one
counter row per prefix, incremented in the transaction that inserts the certificate, so they stay unique
whichever process or server issues them; two writers of the same certificate's next event collide on the
unique (certificate, sequence) pair and the loser checks its event again against the longer log.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.certificates import (
    DecisionFacts,
    DueItem,
    EditionEnd,
    Event,
    Period,
    Schedule,
    Status,
    TransitionRefused,
    check,
    due_items,
    resolve_schedule,
    status_as_of,
)

from . import read_model
from .certificate_tables import CertificateCounter, CertificateEventRecord, CertificateRecord
from .db import Database, utcnow
from .errors import ApiError, not_found
from .keys import Principal
from .service import Services, get_record

__all__ = ["CertificateSettings", "get_certificate_settings", "schedule_for", "schedules_by_ruleset", "schedule_notes",
           "IssueRequest", "EventRequest",
           "issue", "record_event", "get_certificate", "read_certificate", "list_certificates", "due_list",
           "certificate_view", "public_view", "Loaded", "edition_ends", "default_prefix", "PREFIX_PATTERN", "MAX_RETRIES"]

_COUNTERS = Table("certificate_counters", CertificateCounter.metadata)
_CERTIFICATES = Table("certificates", CertificateRecord.metadata)
_EVENTS = Table("certificate_events", CertificateEventRecord.metadata)
PREFIX_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,19}$"
MAX_RETRIES = 50  # a lost race for a certificate's next event is checked again this many times at most


# ---------------------------------------------------------------------------------------------- settings

_PERIOD = re.compile(r"^\s*(\d{1,4})\s*(day|days|month|months|year|years)\s*$")


def _period(text: str, name: str) -> Period:
    m = _PERIOD.match(text)
    if m is None or int(m.group(1)) < 1:
        raise ValueError(f"`{text}` is not a period such as `12 months`")
    unit = m.group(2) if m.group(2).endswith("s") else m.group(2) + "s"
    return Period(int(m.group(1)), unit, "default",  # type: ignore[arg-type]
                  f"set by the certification body (GREENCERT_CERTIFICATE_{name.upper()})", "service")


class CertificateSettings(BaseSettings):
    """The schedule settings a certification body sets for its service (prefix `GREENCERT_CERTIFICATE_`),
    e.g. `GREENCERT_CERTIFICATE_SURVEILLANCE_INTERVAL="12 months"`. A setting left unset keeps the scheme's
    (catalogs/scheme.yaml: only the validity is given, by the 2026 Measures); what neither sets is not set."""

    model_config = SettingsConfigDict(env_prefix="GREENCERT_CERTIFICATE_", env_file=".env", extra="ignore",
                                      frozen=True)

    surveillance_interval: str | None = Field(default=None, description="e.g. `12 months`")
    suspension_period: str | None = Field(default=None, description="e.g. `3 months`")
    renewal_window: str | None = Field(default=None, description="e.g. `6 months` before expiry")
    transition: str | None = Field(default=None, description="e.g. `12 months` after a new edition")
    prefix: str | None = Field(default=None, pattern=PREFIX_PATTERN,
                               description="the certificate-number prefix of this service's certification body")
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$",
                                   description="the address the public reaches this service at, for the QR code "
                                               "of printed certificates (default: the address of the request)")

    @field_validator("surveillance_interval", "suspension_period", "renewal_window", "transition")
    @classmethod
    def _check(cls, value: str | None, info: Any) -> str | None:
        if value is not None:
            _period(value, info.field_name)
        return value

    def overrides(self) -> dict[str, Period | None]:
        return {name: _period(value, name) if (value := getattr(self, name)) else None
                for name in ("surveillance_interval", "suspension_period", "renewal_window", "transition")}


@functools.lru_cache(maxsize=1)
def get_certificate_settings() -> CertificateSettings:
    return CertificateSettings()


def schedule_for(services: Services, principal: Principal, settings: CertificateSettings,
                 ruleset_id: str | None = None) -> Schedule:
    """The schedule a new certificate of `principal` under `ruleset_id` gets (engine.certificates.resolve_schedule):
    the scheme's settings, the rule set's, the body's service settings, the body's overlays on that rule set.
    Without a rule set: the settings every rule set of the body starts from (scheme, then service)."""
    repository = services.repository_for(principal)
    scheme = repository.scheme
    ruleset = repository.rulesets.get(ruleset_id) if ruleset_id is not None else None
    return resolve_schedule(scheme.certificate if scheme is not None else None,
                            ruleset.certificate if ruleset is not None else None, settings.overrides())


def schedules_by_ruleset(services: Services, principal: Principal, settings: CertificateSettings) -> dict[str, Schedule]:
    """The rule sets (of those `principal` sees) whose schedule differs from the body's general one: a rule set's
    own settings or an overlay's."""
    general = schedule_for(services, principal, settings)
    out: dict[str, Schedule] = {}
    for rid, rs in services.repository_for(principal).rulesets.items():
        if rs.certificate is not None and (own := schedule_for(services, principal, settings, rid)) != general:
            out[rid] = own
    return out


def schedule_notes(general: Schedule, by_ruleset: dict[str, Schedule]) -> list[str]:
    """A note for each setting the body's general schedule does not set, naming the rule sets that set it."""
    notes = []
    for name, value in general.to_dict().items():
        if value is not None:
            continue
        where = sorted(rid for rid, sched in by_ruleset.items() if getattr(sched, name) is not None)
        notes.append(f"`{name}` is not set (no source gives it): set GREENCERT_CERTIFICATE_{name.upper()} (every rule "
                     f"set) or `certificate: {name}` in an overlay (one rule set) to derive what depends on it for new "
                     "certificates" + ("; set for " + ", ".join(f"`{r}`" for r in where) if where else ""))
    return notes


# ---------------------------------------------------------------------------------------------- requests

@dataclass(frozen=True)
class IssueRequest:
    evaluation_id: str
    holder: str
    holder_name: str
    manufacturer: str | None
    production_sites: tuple[str, ...]
    issued_on: dt.date | None
    prefix: str | None
    region: str | None = None  # where it was certified: a filter of the public registry (migration 0003)


@dataclass(frozen=True)
class EventRequest:
    kind: str
    on: dt.date | None
    reason: str | None
    evaluation_id: str | None
    deadline: dt.date | None
    models: tuple[str, ...]
    units: tuple[str, ...]


def _hash(kind: str, payload: Any) -> str:
    text = json.dumps({"kind": kind, "payload": payload}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refused(e: TransitionRefused) -> ApiError:
    return ApiError(409, e.diagnostics)


def default_prefix(organisation: str) -> str:
    """The prefix of an organisation that set none: its name in capitals, letters and digits only."""
    text = re.sub(r"[^A-Z0-9]", "", organisation.upper())[:20]
    return text or "GC"


@dataclass(frozen=True)
class Loaded:
    """A certificate and its log."""

    record: CertificateRecord
    events: list[CertificateEventRecord]

    @functools.cached_property
    def log(self) -> list[Event]:
        return [Event.from_dict(e.event) for e in self.events]

    def status(self, day: dt.date) -> Status:
        return status_as_of(self.log, day)


# ---------------------------------------------------------------------------------------------- issue

def issue(services: Services, principal: Principal, req: IssueRequest, *, today: dt.date,
          settings: CertificateSettings, idempotency_key: str | None) -> tuple[Loaded, bool]:
    """A new certificate from one of the body's own granted binding evaluations; (certificate, replayed)."""
    # (a request without a region hashes as before the field existed: earlier Idempotency-Keys still replay)
    request_hash = _hash("certificate", {k: v for k, v in req.__dict__.items() if k != "region" or v is not None})
    if idempotency_key is not None:
        found = _replay_certificate(services.db, principal, idempotency_key, request_hash)
        if found is not None:
            return found, True
    rec = get_record(services.db, principal, req.evaluation_id, binding=True)  # 404 unless the body's own
    facts = DecisionFacts.from_decision_dict(rec.decision, rec.id)
    event = Event("issued", req.issued_on or today, decision=facts,
                  schedule=schedule_for(services, principal, settings, facts.ruleset_id))
    try:
        check([], event)
    except TransitionRefused as e:
        raise _refused(e) from None
    prefix = req.prefix or settings.prefix or default_prefix(principal.organisation)
    product = rec.application.get("product") if isinstance(rec.application, dict) else None
    product = product if isinstance(product, dict) else {}
    manufacturer = req.manufacturer or product.get("manufacturer")
    sites = list(req.production_sites) or ([product["production_site"]] if product.get("production_site") else [])
    now = utcnow()
    counters = _COUNTERS
    upsert = pg_insert if services.db.dialect == "postgresql" else sqlite_insert
    base = upsert(counters).values(prefix=prefix, organisation=principal.organisation, last=1)
    stmt = base.on_conflict_do_update(index_elements=["prefix"], set_={"last": counters.c.last + 1},
                                      where=counters.c.organisation == base.excluded.organisation
                                      ).returning(counters.c.last)

    def write(session: Session) -> tuple[CertificateRecord, CertificateEventRecord]:
        sequence = session.execute(stmt).scalar()
        if sequence is None:
            raise ApiError.one(409, "certificate_prefix_taken",
                               f"the certificate-number prefix `{prefix}` belongs to another organisation",
                               hint="give your own `prefix`", field="prefix")
        number = f"{prefix}-{sequence:06d}"
        cert = dict(number=number, prefix=prefix, sequence=sequence, organisation=principal.organisation,
                    holder=req.holder, holder_name=req.holder_name, manufacturer=manufacturer,
                    production_sites=sites, category=facts.category, region=req.region, evaluation_id=rec.id,
                    api_key_id=principal.key_id, created_at=now, idempotency_key=idempotency_key,
                    request_hash=request_hash)
        session.execute(insert(_CERTIFICATES), [cert])
        ev = _event_values(number, 1, event, principal, now, None, None)
        session.execute(insert(_EVENTS), [ev])
        read_model.refresh(session, cert, [event])  # read model (api.read_model): same transaction as the event
        return CertificateRecord(**cert), CertificateEventRecord(**ev)

    try:
        cert, first = services.recorder.run(write)
    except IntegrityError:
        if idempotency_key is not None:
            found = _replay_certificate(services.db, principal, idempotency_key, request_hash)
            if found is not None:
                return found, True
        raise
    return Loaded(cert, [first]), False


def _event_values(number: str, sequence: int, event: Event, principal: Principal, now: dt.datetime,
                  idempotency_key: str | None, request_hash: str | None,
                  current_version: str | None = None) -> dict[str, Any]:
    """The row of an event: the rule-set version is the decision's, or (an event resting on no decision) the
    version the certificate is under when the event takes effect."""
    decision = event.decision
    return dict(id=str(uuid.uuid4()), certificate_number=number, sequence=sequence, kind=event.kind,
                effective_on=event.on, reason=event.reason, evaluation_id=decision.id if decision else None,
                ruleset_version=decision.ruleset_version if decision else current_version, event=event.to_dict(),
                organisation=principal.organisation, api_key_id=principal.key_id, created_at=now,
                idempotency_key=idempotency_key, request_hash=request_hash)


def _replay_certificate(db: Database, principal: Principal, key: str, request_hash: str) -> Loaded | None:
    with db.read() as session:
        cert = session.scalars(select(CertificateRecord).where(
            CertificateRecord.organisation == principal.organisation,
            CertificateRecord.idempotency_key == key)).first()
    if cert is None:
        return None
    if cert.request_hash != request_hash:
        raise _key_reused(cert.number)
    return _load(db, cert.number)


def _key_reused(what: str) -> ApiError:
    return ApiError.one(422, "idempotency_key_reused", "this Idempotency-Key was already used for a different request",
                        hint=f"it recorded `{what}`; use a new key for a new request", field="Idempotency-Key")


# ---------------------------------------------------------------------------------------------- events

def record_event(services: Services, principal: Principal, number: str, req: EventRequest, *, today: dt.date,
                 idempotency_key: str | None, settings: CertificateSettings | None = None
                 ) -> tuple[Loaded, CertificateEventRecord, bool]:
    """Append an event to one of the body's own certificates; (certificate, the event, replayed). A conversion
    records the schedule of the new edition (its rule set's settings and overlays; `settings` the service's)."""
    request_hash = _hash("certificate_event", {"number": number, **req.__dict__})
    if idempotency_key is not None:
        found = _replay_event(services.db, principal, idempotency_key, request_hash)
        if found is not None:
            return (*found, True)
    owned = get_certificate(services.db, principal, number, manage=True)  # 404 unless the body's own
    facts = None
    if req.evaluation_id is not None:
        rec = get_record(services.db, principal, req.evaluation_id, binding=True)
        facts = DecisionFacts.from_decision_dict(rec.decision, rec.id)
    schedule = None
    if req.kind == "converted" and facts is not None:
        schedule = schedule_for(services, principal, settings or get_certificate_settings(), facts.ruleset_id)
    event = Event(req.kind, req.on or today, req.reason, facts, req.deadline, req.models, req.units, schedule)

    def write(session: Session) -> CertificateEventRecord:
        # the log as this transaction sees it: the check and the insert are one step
        rows = list(session.scalars(select(CertificateEventRecord).where(
            CertificateEventRecord.certificate_number == number).order_by(CertificateEventRecord.sequence)))
        log = [Event.from_dict(r.event) for r in rows]
        try:
            check(log, event)
        except TransitionRefused as e:
            raise _refused(e) from None
        facts = status_as_of(log, event.on).facts
        values = _event_values(number, len(rows) + 1, event, principal, utcnow(), idempotency_key, request_hash,
                               facts.ruleset_version if facts is not None else None)
        session.execute(insert(_EVENTS), [values])
        # read model (api.read_model): rewritten in the transaction that appends the event
        read_model.refresh(session, _public_columns(owned.record), [*log, event])
        return CertificateEventRecord(**values)

    for _ in range(MAX_RETRIES):
        try:
            row = services.recorder.run(write)
        except IntegrityError:
            if idempotency_key is not None:
                found = _replay_event(services.db, principal, idempotency_key, request_hash)
                if found is not None:
                    return (*found, True)
            continue  # another writer took this sequence number: check again against the longer log
        return _load(services.db, number), row, False
    raise ApiError.one(503, "certificate_busy", f"certificate `{number}` is being changed by many writers at once",
                       hint="retry the request (with the same Idempotency-Key)", headers={"Retry-After": "1"})


def _replay_event(db: Database, principal: Principal, key: str,
                  request_hash: str) -> tuple[Loaded, CertificateEventRecord] | None:
    with db.read() as session:
        row = session.scalars(select(CertificateEventRecord).where(
            CertificateEventRecord.organisation == principal.organisation,
            CertificateEventRecord.idempotency_key == key)).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise _key_reused(f"{row.certificate_number}` event `{row.sequence}")
    return _load(db, row.certificate_number), row


# ---------------------------------------------------------------------------------------------- reading

def _load(db: Database, number: str) -> Loaded:
    with db.read() as session:
        cert = session.get(CertificateRecord, number)
        if cert is None:
            raise not_found("certificate", number)
        events = list(session.scalars(select(CertificateEventRecord).where(
            CertificateEventRecord.certificate_number == number).order_by(CertificateEventRecord.sequence)))
    return Loaded(cert, events)


def _may_read(principal: Principal | None, cert: CertificateRecord, manage: bool) -> bool:
    if principal is None:
        return True
    if principal.role == "certification_body":
        return cert.organisation == principal.organisation
    return not manage and principal.role == "manufacturer" and cert.holder == principal.organisation


def get_certificate(db: Database, principal: Principal | None, number: str, *, manage: bool = False) -> Loaded:
    """The certificate `number` if `principal` may see it (`manage`: change it): its body, or the holder's
    manufacturer keys for reading; anyone else is answered as if there were no such certificate."""
    if len(number) > 60:
        raise not_found("certificate", number[:60] + "…")
    loaded = _load(db, number)
    if not _may_read(principal, loaded.record, manage):
        raise not_found("certificate", number)
    return loaded


def read_certificate(db: Database, principal: Principal, number: str) -> Loaded:
    return get_certificate(db, principal, number)


def _owned(principal: Principal) -> Any:
    if principal.role == "certification_body":
        return CertificateRecord.organisation == principal.organisation
    return CertificateRecord.holder == principal.organisation


def _with_events(session: Session, certs: Sequence[CertificateRecord]) -> list[Loaded]:
    numbers = [c.number for c in certs]
    by_number: dict[str, list[CertificateEventRecord]] = {n: [] for n in numbers}
    for chunk in range(0, len(numbers), 500):
        for e in session.scalars(select(CertificateEventRecord).where(
                CertificateEventRecord.certificate_number.in_(numbers[chunk:chunk + 500]))
                .order_by(CertificateEventRecord.certificate_number, CertificateEventRecord.sequence)):
            by_number[e.certificate_number].append(e)
    return [Loaded(c, by_number[c.number]) for c in certs]


def list_certificates(db: Database, principal: Principal, *, limit: int, offset: int) -> tuple[list[Loaded], int]:
    """A body's certificates, or those a manufacturer holds, newest first."""
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(CertificateRecord).where(_owned(principal))) or 0
        certs = list(session.scalars(select(CertificateRecord).where(_owned(principal))
                                     .order_by(CertificateRecord.created_at.desc(), CertificateRecord.number.desc())
                                     .limit(limit).offset(offset)))
        return _with_events(session, certs), total


def edition_ends(services: Services, principal: Principal) -> dict[str, EditionEnd]:
    """The rule sets (editions) a newer one replaces, with the day it does and any transition they state."""
    return {rid: EditionEnd(rs.in_force.until, rs.in_force.accepted_until)
            for rid, rs in services.repository_for(principal).rulesets.items() if rs.in_force.until is not None}


def due_list(db: Database, principal: Principal, day: dt.date, within_days: int,
             ends: dict[str, EditionEnd] | None = None) -> list[tuple[Loaded, Status, DueItem]]:
    """What the body's certificates ask of it from `day` to `day + within_days`, and what is late, by date."""
    out: list[tuple[Loaded, Status, DueItem]] = []
    with db.read() as session:
        certs = list(session.scalars(select(CertificateRecord).where(_owned(principal))
                                     .order_by(CertificateRecord.number)))
        loaded = _with_events(session, certs)
    for item in loaded:
        status = item.status(day)
        out.extend((item, status, d) for d in due_items(status, day, dt.timedelta(days=within_days), ends))
    out.sort(key=lambda t: (t[2].due, t[0].record.number, t[2].kind))
    return out


# ---------------------------------------------------------------------------------------------- views

def event_view(e: CertificateEventRecord) -> dict[str, Any]:
    body = e.event
    return {"sequence": e.sequence, "kind": e.kind, "on": e.effective_on, "reason": e.reason,
            "evaluation_id": e.evaluation_id, "ruleset_version": e.ruleset_version,
            "deadline": body.get("deadline"), "models": body.get("models") or [], "units": body.get("units") or [],
            "schedule": body.get("schedule"), "recorded_by": e.api_key_id, "organisation": e.organisation,
            "recorded_at": e.created_at}


def certificate_view(loaded: Loaded, day: dt.date, *, events: bool = True) -> dict[str, Any]:
    c = loaded.record
    view: dict[str, Any] = {
            "number": c.number, "issued_by": c.organisation, "holder": c.holder, "holder_name": c.holder_name,
            "manufacturer": c.manufacturer, "production_sites": list(c.production_sites or ()),
            "category": c.category, "region": c.region, "evaluation_id": c.evaluation_id,
            "created_at": c.created_at,
            "status": loaded.status(day).to_dict()}
    if events:
        view["events"] = [event_view(e) for e in loaded.events]
    return view


def _public_columns(c: CertificateRecord) -> dict[str, Any]:
    return {name: getattr(c, name) for name in read_model.CERTIFICATE_FIELDS}


def public_view(loaded: Loaded, day: dt.date) -> dict[str, Any]:
    """What anyone may read: no test values, no application, no evaluation ids, no reasons (derived from the
    log; api.read_model keeps the same per interval of days)."""
    return read_model.public_fields(_public_columns(loaded.record), loaded.status(day))

