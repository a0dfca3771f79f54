"""Certificates over their whole life: the events of a certificate, the moves its log allows, its status on a date.

Pure: no database, no clock, no I/O. A certificate is its event log; everything about it on a day (valid,
suspended, revoked, cancelled, expired; its scope, edition and labels; when surveillance is due) is derived from
the events dated on or before that day, so "was certificate X valid on 2027-03-01?" has one reproducible answer.

The schedule (validity, surveillance interval, suspension period, renewal window, edition transition) comes from
the scheme's `certificate` settings (catalogs/scheme.yaml), the rule set's, the service's and the overlays'
(`resolve_schedule`). Only the validity (5 years, the 2026 Measures) has a
source; a setting no source gives is not shipped: it is `None` here, a suspension then needs its deadline stated,
and the due lists say that the interval is not set. The schedule in force when a certificate is issued is recorded
in its `issued` event, so later changes of a setting do not change what an old log says.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .diagnostics import Diagnostic

__all__ = ["EVENT_KINDS", "STATES", "Period", "Schedule", "LabelFacts", "DecisionFacts", "Event", "Status",
           "CertificateFacts", "TransitionRefused", "add_period", "schedule_from_policy", "resolve_schedule", "check",
           "status_as_of", "SCHEDULE_SETTINGS",
           "due_items", "DueItem", "EditionEnd"]

EventKind = Literal["issued", "surveillance_recorded", "suspended", "restored", "revoked", "cancelled",
                    "scope_extended", "scope_reduced", "converted", "expired"]
EVENT_KINDS: tuple[str, ...] = ("issued", "surveillance_recorded", "suspended", "restored", "revoked", "cancelled",
                                "scope_extended", "scope_reduced", "converted", "expired")
# `not_issued`: the day is before the issue date (or there is no `issued` event)
STATES: tuple[str, ...] = ("not_issued", "valid", "suspended", "revoked", "cancelled", "expired")
_TERMINAL = ("revoked", "cancelled", "expired")
# the events that need a binding decision, and what outcome it must have (None: any outcome)
_DECISION_NEEDED: dict[str, str | None] = {"issued": "granted", "surveillance_recorded": None, "restored": "granted",
                                           "scope_extended": "granted", "converted": "granted"}
SCHEDULE_SETTINGS = _SCHEDULE_SETTINGS = ("validity", "surveillance_interval", "suspension_period", "renewal_window",
                                          "transition")


# ---------------------------------------------------------------------------------------------- the schedule

@dataclass(frozen=True)
class Period:
    """A setting of the schedule: a number of days, months or years and where it comes from
    (`provenance` is the strength of its source: primary, secondary, default ...)."""

    value: int
    unit: Literal["days", "months", "years"]
    provenance: str
    source: str | None = None
    # who set it: `catalogue` (the scheme file), `ruleset`, `overlay` (with its id), `service` (a setting of the
    # body's service); None in logs written before this was recorded
    set_by: str | None = None
    overlay: str | None = None

    def text(self) -> str:
        return f"{self.value} {self.unit[:-1] if self.value == 1 else self.unit}"

    @property
    def sourced(self) -> bool:
        """A source gives it (not a labelled default, not an unconfirmed number)."""
        return self.provenance in ("primary", "secondary", "confirmed")

    def to_dict(self) -> dict[str, Any]:
        out = {"value": self.value, "unit": self.unit, "provenance": self.provenance, "source": self.source}
        if self.set_by is not None:
            out["set_by"] = self.set_by
        if self.overlay is not None:
            out["overlay"] = self.overlay
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Period:
        return cls(int(data["value"]), data["unit"], str(data["provenance"]), data.get("source"),
                   data.get("set_by"), data.get("overlay"))


@dataclass(frozen=True)
class Schedule:
    """The schedule a certificate lives by; a setting that is None is not set (no source gives it and neither
    the certification body nor an overlay set it)."""

    validity: Period | None = None
    surveillance_interval: Period | None = None
    suspension_period: Period | None = None
    renewal_window: Period | None = None
    transition: Period | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: (p.to_dict() if (p := getattr(self, name)) is not None else None) for name in _SCHEDULE_SETTINGS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Schedule:
        data = data or {}
        return cls(**{name: Period.from_dict(data[name]) if data.get(name) else None for name in _SCHEDULE_SETTINGS})

    def with_overrides(self, overrides: Mapping[str, Period | None]) -> Schedule:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def schedule_from_policy(policy: Any, set_by: str = "catalogue") -> Schedule:
    """The schedule of `certificate` settings (`engine.models.CertificatePolicy`, or None) of the scheme
    (`set_by="catalogue"`) or of a rule set (`"ruleset"`; a setting an overlay wrote says `overlay` and its id)."""
    if policy is None:
        return Schedule()
    values: dict[str, Period | None] = {}
    for name in _SCHEDULE_SETTINGS:
        setting = getattr(policy, name, None)
        overlay = getattr(setting, "overlay", None)
        values[name] = None if setting is None else Period(
            setting.value, setting.unit, setting.provenance.status, setting.provenance.source,
            "overlay" if overlay else set_by, overlay)
    return Schedule(**values)


def resolve_schedule(scheme_policy: Any, ruleset_policy: Any = None,
                     service: Mapping[str, Period | None] | None = None) -> Schedule:
    """The schedule a certificate under a rule set lives by, setting by setting, the later winning:
    the catalogue (the scheme file), the rule set's own settings, the service's settings (the body's, for all its
    rule sets), the overlays on the rule set (the body's, for this rule set). A setting a source gives (`primary`,
    `secondary`) is not replaced by a service setting; an overlay cannot replace one either (the loader refuses
    it, `overlay_setting_fixed`). What none of them sets stays None: no number is invented."""
    catalogue = schedule_from_policy(scheme_policy, "catalogue")
    ruleset = schedule_from_policy(ruleset_policy, "ruleset")
    values: dict[str, Period | None] = {}
    for name in _SCHEDULE_SETTINGS:
        value: Period | None = getattr(catalogue, name)
        own: Period | None = getattr(ruleset, name)
        if own is not None and own.set_by == "ruleset":
            value = own
        body = (service or {}).get(name)
        if body is not None and (value is None or not value.sourced):
            value = body
        if own is not None and own.set_by == "overlay":
            value = own
        values[name] = value
    return Schedule(**values)


def add_period(day: dt.date, period: Period) -> dt.date:
    """`day` plus `period`; a month or year step onto a day the month lacks (31st, 29 February) lands on its
    last day."""
    if period.unit == "days":
        return day + dt.timedelta(days=period.value)
    months = period.value * (12 if period.unit == "years" else 1)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------- the facts

@dataclass(frozen=True)
class LabelFacts:
    """A label a certificate carries: full (全项) or partial (分项) with its attribute, and a tier or grade."""

    id: str
    kind: str
    name_zh: str | None = None
    name_en: str | None = None
    attribute: str | None = None
    grade: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name_zh": self.name_zh, "name_en": self.name_en,
                "attribute": self.attribute, "grade": self.grade}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelFacts:
        return cls(data["id"], data["kind"], data.get("name_zh"), data.get("name_en"), data.get("attribute"),
                   data.get("grade"))


@dataclass(frozen=True)
class DecisionFacts:
    """What a certificate event takes from a decision: whose it is, what it decided, under which rule set."""

    id: str | None
    outcome: str
    binding: bool
    category: str
    ruleset_id: str
    ruleset_version: str
    standard: str
    product_model: str
    certification_unit: str | None
    evaluated_on: dt.date
    labels: tuple[LabelFacts, ...] = ()  # the labels it found eligible
    missing: tuple[str, ...] = ()  # for an incomplete decision: what is missing

    @classmethod
    def from_decision_dict(cls, data: Mapping[str, Any], record_id: str | None = None) -> DecisionFacts:
        """From `Decision.to_dict()` (as the API stores it)."""
        eligible = set(data.get("eligible_labels") or ())
        labels = tuple(LabelFacts(lab["id"], lab["kind"], lab.get("name_zh"), lab.get("name_en"), lab.get("attribute"),
                                  lab.get("grade"))
                       for lab in data.get("labels") or () if lab["id"] in eligible and lab.get("status") == "eligible")
        evaluated = data["evaluated_on"]
        return cls(record_id, data["outcome"], bool(data.get("binding", True)), data["category"], data["ruleset_id"],
                   data["ruleset_version"], data.get("standard") or "", data["product_model"],
                   data.get("certification_unit"),
                   evaluated if isinstance(evaluated, dt.date) else dt.date.fromisoformat(evaluated),
                   labels, tuple(m["ref"] for m in data.get("missing_evidence") or ()))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "outcome": self.outcome, "binding": self.binding, "category": self.category,
                "ruleset_id": self.ruleset_id, "ruleset_version": self.ruleset_version, "standard": self.standard,
                "product_model": self.product_model, "certification_unit": self.certification_unit,
                "evaluated_on": self.evaluated_on.isoformat(), "labels": [lab.to_dict() for lab in self.labels],
                "missing": list(self.missing)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionFacts:
        return cls(data.get("id"), data["outcome"], bool(data["binding"]), data["category"], data["ruleset_id"],
                   data["ruleset_version"], data.get("standard") or "", data["product_model"],
                   data.get("certification_unit"), dt.date.fromisoformat(data["evaluated_on"]),
                   tuple(LabelFacts.from_dict(x) for x in data.get("labels") or ()), tuple(data.get("missing") or ()))


@dataclass(frozen=True)
class Event:
    """One entry of a certificate's log. `on` is the day it takes effect; `decision` what it rests on;
    `deadline` the end of a suspension; `models` / `units` what a scope reduction removes; `schedule` (issued,
    and converted) the schedule the certificate lives by from then (a conversion keeps the validity)."""

    kind: str
    on: dt.date
    reason: str | None = None
    decision: DecisionFacts | None = None
    deadline: dt.date | None = None
    models: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    schedule: Schedule | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "on": self.on.isoformat(), "reason": self.reason,
                "decision": self.decision.to_dict() if self.decision is not None else None,
                "deadline": self.deadline.isoformat() if self.deadline is not None else None,
                "models": list(self.models), "units": list(self.units),
                "schedule": self.schedule.to_dict() if self.schedule is not None else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(data["kind"], dt.date.fromisoformat(data["on"]), data.get("reason"),
                   DecisionFacts.from_dict(data["decision"]) if data.get("decision") else None,
                   dt.date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
                   tuple(data.get("models") or ()), tuple(data.get("units") or ()),
                   Schedule.from_dict(data["schedule"]) if data.get("schedule") else None)


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says, as of a day: scope, edition, labels, dates."""

    category: str
    ruleset_id: str
    ruleset_version: str
    standard: str
    models: tuple[str, ...]
    units: tuple[str, ...]
    labels: tuple[LabelFacts, ...]
    issued_on: dt.date
    expires_on: dt.date  # the first day it is no longer valid
    schedule: Schedule
    decisions: tuple[str, ...]

    @property
    def valid_until(self) -> dt.date:
        """The last day of validity."""
        return self.expires_on - dt.timedelta(days=1)

    @property
    def label_kind(self) -> str:
        kinds = {lab.kind for lab in self.labels}
        return "full" if "full" in kinds or not kinds else "partial"


@dataclass(frozen=True)
class Status:
    """A certificate on a day, derived from its log."""

    as_of: dt.date
    state: str
    since: dt.date | None
    reason: str | None
    facts: CertificateFacts | None
    suspension_deadline: dt.date | None = None
    deadline_missed: bool = False
    last_surveillance: dt.date | None = None
    surveillance_due: dt.date | None = None
    surveillance_overdue: bool = False
    notes: tuple[str, ...] = ()
    events: int = 0  # how many events of the log were in effect

    @property
    def valid(self) -> bool:
        return self.state == "valid"

    def to_dict(self) -> dict[str, Any]:
        f = self.facts
        return {
            "as_of": self.as_of.isoformat(), "state": self.state, "valid": self.valid,
            "since": self.since.isoformat() if self.since else None, "reason": self.reason,
            "suspension_deadline": self.suspension_deadline.isoformat() if self.suspension_deadline else None,
            "deadline_missed": self.deadline_missed,
            "last_surveillance": self.last_surveillance.isoformat() if self.last_surveillance else None,
            "surveillance_due": self.surveillance_due.isoformat() if self.surveillance_due else None,
            "surveillance_overdue": self.surveillance_overdue, "notes": list(self.notes), "events_in_effect": self.events,
            "category": f.category if f else None, "edition": f.ruleset_id if f else None,
            "standard": f.standard if f else None, "ruleset_version": f.ruleset_version if f else None,
            "models": list(f.models) if f else [], "certification_units": list(f.units) if f else [],
            "label_kind": f.label_kind if f else None, "labels": [lab.to_dict() for lab in f.labels] if f else [],
            "issued_on": f.issued_on.isoformat() if f else None, "expires_on": f.expires_on.isoformat() if f else None,
            "valid_until": f.valid_until.isoformat() if f else None,
            "decisions": list(f.decisions) if f else [],
        }


class TransitionRefused(Exception):
    """A move the log does not allow; carries the diagnostics that say why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


# ---------------------------------------------------------------------------------------------- the fold

@dataclass
class _State:
    state: str = "not_issued"
    since: dt.date | None = None
    reason: str | None = None
    facts: CertificateFacts | None = None
    deadline: dt.date | None = None
    last_surveillance: dt.date | None = None
    events: int = 0
    notes: list[str] = field(default_factory=list)


def _refuse(code: str, message: str, hint: str | None = None, field_name: str | None = None) -> TransitionRefused:
    return TransitionRefused([Diagnostic(code, message, hint=hint, field=field_name)])


def _state_words(s: _State) -> str:
    if s.state == "suspended":
        return f"suspended since {s.since}" + (f" (deadline {s.deadline})" if s.deadline else "")
    return f"{s.state} since {s.since}" if s.since else s.state


def _need_decision(event: Event, s: _State | None) -> DecisionFacts:
    decision = event.decision
    if decision is None:
        raise _refuse("certificate_decision_required", f"a `{event.kind}` event rests on a binding decision",
                      hint="give the id of the binding evaluation it rests on", field_name="evaluation_id")
    if not decision.binding:
        raise _refuse("certificate_decision_not_binding",
                      f"decision `{decision.id}` is a self-check: a `{event.kind}` event rests on a binding evaluation",
                      field_name="evaluation_id")
    wanted = _DECISION_NEEDED.get(event.kind)
    if wanted is not None and decision.outcome != wanted:
        detail = ""
        if decision.outcome == "incomplete" and decision.missing:
            detail = " (missing: " + ", ".join(f"`{m}`" for m in decision.missing[:5]) + ")"
        raise _refuse("certificate_decision_not_granted",
                      f"decision `{decision.id}` is `{decision.outcome}`{detail}: a `{event.kind}` event needs a "
                      "granted decision",
                      hint="complete the evidence and evaluate again, then use the granted evaluation",
                      field_name="evaluation_id")
    if decision.evaluated_on > event.on:
        raise _refuse("certificate_decision_after_event",
                      f"decision `{decision.id}` was made as of {decision.evaluated_on}, after the event's day {event.on}",
                      hint="date the event on or after the evaluation date", field_name="on")
    if s is not None and s.facts is not None and decision.category != s.facts.category:
        raise _refuse("certificate_decision_other_category",
                      f"decision `{decision.id}` is for `{decision.category}`, the certificate for `{s.facts.category}`",
                      field_name="evaluation_id")
    return decision


def _in_scope(decision: DecisionFacts, facts: CertificateFacts, kind: str) -> None:
    if decision.product_model not in facts.models:
        raise _refuse("certificate_decision_other_product",
                      f"decision `{decision.id}` is for model `{decision.product_model}`, which the certificate does "
                      "not cover", hint="covered: " + ", ".join(f"`{m}`" for m in facts.models) +
                      ("; extend the scope first" if kind != "scope_extended" else ""), field_name="evaluation_id")


def _apply(s: _State, event: Event) -> None:
    """Check `event` against the state `s` (as of the day before it and every earlier event) and apply it;
    raises TransitionRefused without changing `s` when the move is not allowed."""
    if s.facts is None or s.state == "not_issued":
        if event.kind != "issued":
            raise _refuse("certificate_not_issued", f"a `{event.kind}` event needs an issued certificate",
                          hint="the first event of a certificate is `issued`")
        decision = _need_decision(event, None)
        schedule = event.schedule or Schedule()
        if schedule.validity is None:
            raise _refuse("certificate_validity_unknown", "the schedule has no validity period: the expiry "
                          "cannot be derived", hint="the scheme's `certificate.validity` setting gives it")
        if not decision.labels:
            raise _refuse("certificate_no_label", f"decision `{decision.id}` found no label eligible",
                          field_name="evaluation_id")
        s.facts = CertificateFacts(decision.category, decision.ruleset_id, decision.ruleset_version,
                                   decision.standard, (decision.product_model,),
                                   (decision.certification_unit,) if decision.certification_unit else (),
                                   decision.labels, event.on, add_period(event.on, schedule.validity), schedule,
                                   (decision.id,) if decision.id else ())
        s.state, s.since, s.reason = "valid", event.on, None
        s.events += 1
        return
    facts = s.facts
    if event.kind == "issued":
        raise _refuse("certificate_already_issued", f"the certificate was issued on {facts.issued_on}",
                      hint="issue a new certificate for another product")
    if s.state in _TERMINAL:
        verb = {"restored": "restore", "surveillance_recorded": "surveil", "suspended": "suspend",
                "revoked": "revoke", "cancelled": "cancel", "scope_extended": "extend",
                "scope_reduced": "reduce", "converted": "convert", "expired": "expire"}[event.kind]
        raise _refuse("certificate_transition_refused",
                      f"cannot {verb} a certificate that is {_state_words(s)}"
                      + (f": {s.reason}" if s.reason else ""),
                      hint="a revoked, cancelled or expired certificate stays so; a new certification issues a new "
                      "certificate")
    if event.kind == "expired":
        if event.on < facts.expires_on:
            raise _refuse("certificate_not_expired", f"the certificate is valid until {facts.valid_until}: it "
                          f"cannot expire on {event.on}", hint="cancel or revoke it instead", field_name="on")
        s.state, s.since, s.reason = "expired", facts.expires_on, "validity ended"
    elif event.kind == "surveillance_recorded":
        decision = _need_decision(event, s)
        _in_scope(decision, facts, event.kind)
        if s.state == "suspended" and decision.outcome == "granted":
            raise _refuse("certificate_transition_refused", f"the certificate is {_state_words(s)}: a granted "
                          "decision restores it", hint="record a `restored` event with this evaluation")
        s.last_surveillance = event.on
        s.facts = replace(facts, decisions=_add(facts.decisions, decision.id))
        if decision.outcome != "granted":
            if s.state == "suspended":
                raise _refuse("certificate_transition_refused", f"the certificate is already {_state_words(s)}",
                              hint="restore it with a granted decision before the deadline, or revoke it")
            deadline = _deadline(event, facts)
            s.state, s.since, s.deadline = "suspended", event.on, deadline
            s.reason = event.reason or f"surveillance decision `{decision.id}` is {decision.outcome}"
    elif event.kind == "suspended":
        if s.state != "valid":
            raise _refuse("certificate_transition_refused", f"cannot suspend a certificate that is {_state_words(s)}")
        if not event.reason:
            raise _refuse("certificate_reason_required", "a suspension needs a reason", field_name="reason")
        s.state, s.since, s.reason, s.deadline = "suspended", event.on, event.reason, _deadline(event, facts)
    elif event.kind == "restored":
        if s.state != "suspended":
            raise _refuse("certificate_transition_refused", f"cannot restore a certificate that is {_state_words(s)}",
                          hint="only a suspended certificate is restored")
        if s.deadline is not None and event.on > s.deadline:
            raise _refuse("certificate_deadline_passed", f"the suspension deadline {s.deadline} passed before "
                          f"{event.on}: the certificate cannot be restored",
                          hint="revoke it (`revoked`, reason: deadline missed)", field_name="on")
        decision = _need_decision(event, s)
        _in_scope(decision, facts, event.kind)
        if s.since is not None and decision.evaluated_on < s.since:
            raise _refuse("certificate_decision_before_suspension",
                          f"decision `{decision.id}` was made as of {decision.evaluated_on}, before the suspension "
                          f"of {s.since}: it cannot show the corrective action", field_name="evaluation_id")
        s.facts = replace(facts, decisions=_add(facts.decisions, decision.id))
        s.state, s.since, s.reason, s.deadline = "valid", event.on, None, None
    elif event.kind in ("revoked", "cancelled"):
        if not event.reason:
            raise _refuse("certificate_reason_required", f"`{event.kind}` needs a reason", field_name="reason")
        s.state, s.since, s.reason, s.deadline = event.kind, event.on, event.reason, None
    elif event.kind == "scope_extended":
        if s.state != "valid":
            raise _refuse("certificate_transition_refused", f"cannot extend a certificate that is {_state_words(s)}")
        decision = _need_decision(event, s)
        if decision.ruleset_id != facts.ruleset_id:
            raise _refuse("certificate_decision_other_edition", f"decision `{decision.id}` applies "
                          f"`{decision.ruleset_id}`, the certificate `{facts.ruleset_id}`",
                          hint="convert the certificate to the new edition first", field_name="evaluation_id")
        unit = decision.certification_unit
        if decision.product_model in facts.models and (unit is None or unit in facts.units):
            raise _refuse("certificate_scope_unchanged", f"the certificate already covers model "
                          f"`{decision.product_model}`" + (f" and unit `{unit}`" if unit else ""),
                          field_name="evaluation_id")
        s.facts = replace(facts, models=_add(facts.models, decision.product_model),
                          units=_add(facts.units, unit) if unit else facts.units,
                          decisions=_add(facts.decisions, decision.id))
    elif event.kind == "scope_reduced":
        if s.state not in ("valid", "suspended"):  # pragma: no cover - terminal states are refused above
            raise _refuse("certificate_transition_refused", f"cannot reduce a certificate that is {_state_words(s)}")
        unknown = [m for m in event.models if m not in facts.models] + [u for u in event.units if u not in facts.units]
        if not event.models and not event.units:
            raise _refuse("certificate_scope_unchanged", "a scope reduction names the models or units it removes",
                          field_name="models")
        if unknown:
            raise _refuse("certificate_scope_unknown", "the certificate does not cover " +
                          ", ".join(f"`{x}`" for x in unknown), field_name="models")
        models = tuple(m for m in facts.models if m not in event.models)
        if not models:
            raise _refuse("certificate_scope_empty", "a scope reduction cannot remove every model",
                          hint="cancel or revoke the certificate instead", field_name="models")
        s.facts = replace(facts, models=models, units=tuple(u for u in facts.units if u not in event.units))
    elif event.kind == "converted":
        if s.state != "valid":
            raise _refuse("certificate_transition_refused", f"cannot convert a certificate that is {_state_words(s)}")
        decision = _need_decision(event, s)
        _in_scope(decision, facts, event.kind)
        if decision.ruleset_id == facts.ruleset_id:
            raise _refuse("certificate_same_edition", f"decision `{decision.id}` applies `{decision.ruleset_id}`, "
                          "the edition the certificate already has", hint="convert with a decision under the new "
                          "edition", field_name="evaluation_id")
        if not decision.labels:
            raise _refuse("certificate_no_label", f"decision `{decision.id}` found no label eligible",
                          field_name="evaluation_id")
        # the new edition's schedule, when the event records one (its validity stays: the expiry does not move)
        schedule = facts.schedule if event.schedule is None else replace(event.schedule,
                                                                         validity=facts.schedule.validity)
        s.facts = replace(facts, ruleset_id=decision.ruleset_id, ruleset_version=decision.ruleset_version,
                          standard=decision.standard, labels=decision.labels, schedule=schedule,
                          decisions=_add(facts.decisions, decision.id))
    else:
        raise _refuse("certificate_event_unknown", f"unknown event `{event.kind}`",
                      hint="one of " + ", ".join(f"`{k}`" for k in EVENT_KINDS), field_name="kind")
    s.events += 1


def _add(items: tuple[str, ...], item: str | None) -> tuple[str, ...]:
    return items if item is None or item in items else (*items, item)


def _deadline(event: Event, facts: CertificateFacts) -> dt.date:
    if event.deadline is not None:
        if event.deadline < event.on:
            raise _refuse("certificate_deadline_before_event", f"the deadline {event.deadline} is before the "
                          f"suspension of {event.on}", field_name="deadline")
        return event.deadline
    period = facts.schedule.suspension_period
    if period is None:
        raise _refuse("certificate_deadline_required", "a suspension needs a deadline: the schedule sets no "
                      "suspension period (no source gives one)",
                      hint="give `deadline`, or set the suspension period (a setting of the service or an overlay)",
                      field_name="deadline")
    return add_period(event.on, period)


def _fold(events: Iterable[Event], day: dt.date | None = None) -> _State:
    s = _State()
    last: dt.date | None = None
    for event in events:
        if day is not None and event.on > day:
            break
        if last is not None and event.on < last:
            raise _refuse("certificate_event_out_of_order", f"an event of {event.on} follows one of {last}",
                          hint="a log is kept in date order")
        _expire(s, event.on)
        _apply(s, event)
        last = event.on
    return s


def check(events: Sequence[Event], event: Event) -> None:
    """Raise TransitionRefused (with the diagnostics saying why) unless `event` may follow the log `events`."""
    s = _fold(events)
    if events and event.on < events[-1].on:
        raise _refuse("certificate_event_out_of_order", f"the last event of the certificate is dated "
                      f"{events[-1].on}; a new one cannot be dated {event.on}", hint="date it on or after "
                      f"{events[-1].on}", field_name="on")
    # the state on the event's day: expiry happens by itself
    _expire(s, event.on)
    _apply(s, event)


def _expire(s: _State, day: dt.date) -> None:
    if s.facts is not None and s.state in ("valid", "suspended") and day >= s.facts.expires_on:
        s.state, s.since, s.reason, s.deadline = "expired", s.facts.expires_on, "validity ended", None


def status_as_of(events: Sequence[Event], day: dt.date) -> Status:
    """The certificate on `day`, from the events dated on or before it (the log is assumed checked)."""
    s = _fold(events, day)
    _expire(s, day)
    notes: list[str] = []
    facts = s.facts
    if facts is None:
        return Status(day, "not_issued", None, None, None, events=0)
    deadline_missed = s.state == "suspended" and s.deadline is not None and day > s.deadline
    if deadline_missed:
        notes.append(f"the suspension deadline {s.deadline} passed without restoration: the certificate stays "
                     "suspended until a `revoked` event records the revocation")
    due = None
    overdue = False
    interval = facts.schedule.surveillance_interval
    if s.state in ("valid", "suspended"):
        if interval is None:
            notes.append("surveillance interval not set (no source gives it): no surveillance due date is derived")
        else:
            due = add_period(s.last_surveillance or facts.issued_on, interval)
            overdue = day > due
    return Status(day, s.state, s.since, s.reason, facts, s.deadline, deadline_missed, s.last_surveillance, due,
                  overdue, tuple(notes), s.events)


@dataclass(frozen=True)
class DueItem:
    """One line of a body's work list."""

    kind: Literal["surveillance_due", "surveillance_overdue", "suspension_lapsing", "suspension_lapsed",
                  "renewal_due", "conversion_due", "conversion_overdue"]
    due: dt.date
    detail: str


@dataclass(frozen=True)
class EditionEnd:
    """When a rule set (an edition) stops being the one in force: `until` (the next edition's first day) and,
    where the rule set states it, `accepted_until` (the last day of its transition period)."""

    until: dt.date
    accepted_until: dt.date | None = None


def due_items(status: Status, day: dt.date, within: dt.timedelta,
              edition_ends: Mapping[str, EditionEnd] | None = None) -> list[DueItem]:
    """What a certificate asks of its body between `day` and `day + within`, and what is already late.

    A certificate under an edition that a newer one replaces must be converted: by the end of the rule set's own
    transition (`accepted_until`), else by the edition's end plus the schedule's `transition` period, else (no
    period set: no source gives one) by the day the new edition takes effect, which the detail says."""
    out: list[DueItem] = []
    horizon = day + within
    if status.state not in ("valid", "suspended") or status.facts is None:
        return out
    if status.surveillance_due is not None and status.state == "valid":
        if status.surveillance_overdue:
            out.append(DueItem("surveillance_overdue", status.surveillance_due,
                               f"surveillance was due on {status.surveillance_due}"))
        elif status.surveillance_due <= horizon:
            out.append(DueItem("surveillance_due", status.surveillance_due,
                               f"surveillance due on {status.surveillance_due}"))
    if status.state == "suspended" and status.suspension_deadline is not None:
        if status.deadline_missed:
            out.append(DueItem("suspension_lapsed", status.suspension_deadline,
                               f"suspension deadline {status.suspension_deadline} passed: revoke or record why not"))
        elif status.suspension_deadline <= horizon:
            out.append(DueItem("suspension_lapsing", status.suspension_deadline,
                               f"suspension ends on {status.suspension_deadline} unless restored"))
    end = (edition_ends or {}).get(status.facts.ruleset_id)
    if end is not None and status.state == "valid":
        transition = status.facts.schedule.transition
        if end.accepted_until is not None:
            due, why = end.accepted_until, f"the rule set accepts `{status.facts.ruleset_id}` until {end.accepted_until}"
        elif transition is not None:
            due = add_period(end.until, transition)
            why = (f"a new edition is in force from {end.until}; transition period {transition.text()} "
                   f"({transition.provenance})")
        else:
            due = end.until
            why = (f"a new edition is in force from {end.until}; no transition period is set (no source gives "
                   "one)")
        if day > due:
            out.append(DueItem("conversion_overdue", due, f"convert to the new edition: {why}"))
        elif due <= horizon:
            out.append(DueItem("conversion_due", due, f"convert to the new edition by {due}: {why}"))
    window = status.facts.schedule.renewal_window
    if window is not None and status.state == "valid":
        opens = _subtract(status.facts.expires_on, window)
        if opens <= horizon:
            out.append(DueItem("renewal_due", status.facts.expires_on,
                               f"expires on {status.facts.expires_on}; the renewal window opened on {opens}"))
    return out


def _subtract(day: dt.date, period: Period) -> dt.date:
    return add_period(day, Period(-period.value, period.unit, period.provenance, period.source))
