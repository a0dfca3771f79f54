"""The certificate state machine (engine/certificates.py): status on a date from the log, refused moves."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from engine.certificates import (
    DecisionFacts,
    Event,
    LabelFacts,
    Period,
    Schedule,
    TransitionRefused,
    add_period,
    check,
    due_items,
    schedule_from_policy,
    status_as_of,
)
from engine.loader import default_catalog_dir, load

D = dt.date
FULL = (LabelFacts("green_product", "full", "绿色产品", "green product"),)
SCHEDULE = Schedule(validity=Period(5, "years", "secondary", "the 2026 Measures"),
                    suspension_period=Period(3, "months", "default"),
                    surveillance_interval=Period(12, "months", "default"))


def decision(outcome: str = "granted", *, on: dt.date = D(2026, 5, 1), model: str = "LW-2100",
             ruleset: str = "coatings/GB-T-35602-2017", ident: str = "d1", binding: bool = True,
             unit: str | None = "wall") -> DecisionFacts:
    return DecisionFacts(ident, outcome, binding, "coatings", ruleset, "v" + ident, "GB/T 35602", model, unit, on,
                         FULL if outcome == "granted" else (), ("formaldehyde",) if outcome == "incomplete" else ())


def issued(on: dt.date = D(2026, 5, 10), schedule: Schedule = SCHEDULE) -> Event:
    return Event("issued", on, decision=decision(), schedule=schedule)


def log(*events: Event) -> list[Event]:
    """Each event checked against the ones before it, as the service does."""
    out: list[Event] = []
    for e in events:
        check(out, e)
        out.append(e)
    return out


def refused(events: list[Event], event: Event) -> str:
    with pytest.raises(TransitionRefused) as info:
        check(events, event)
    (d,) = info.value.diagnostics
    assert d.message and d.code.startswith("certificate_")
    return d.code


def test_a_whole_life_read_on_dates_in_between() -> None:
    events = log(
        issued(),
        Event("surveillance_recorded", D(2027, 5, 1), decision=decision(on=D(2027, 4, 20), ident="s1")),
        Event("surveillance_recorded", D(2028, 5, 1), decision=decision("refused", on=D(2028, 4, 20), ident="s2")),
        Event("restored", D(2028, 6, 1), decision=decision(on=D(2028, 5, 25), ident="r1")),
        Event("scope_extended", D(2028, 7, 1), decision=decision(on=D(2028, 6, 20), model="LW-2200", ident="x1")),
        Event("converted", D(2029, 1, 1), decision=decision(on=D(2028, 12, 1), ruleset="coatings/GB-T-35602-2024",
                                                            ident="c1")),
    )
    states = {day: status_as_of(events, day).state for day in
              (D(2026, 5, 9), D(2026, 5, 10), D(2027, 6, 1), D(2028, 5, 1), D(2028, 6, 1), D(2031, 5, 9),
               D(2031, 5, 10))}
    assert states == {D(2026, 5, 9): "not_issued", D(2026, 5, 10): "valid", D(2027, 6, 1): "valid",
                      D(2028, 5, 1): "suspended", D(2028, 6, 1): "valid", D(2031, 5, 9): "valid",
                      D(2031, 5, 10): "expired"}
    suspended = status_as_of(events, D(2028, 5, 15))
    assert suspended.suspension_deadline == D(2028, 8, 1) and "s2" in (suspended.reason or "")
    late = status_as_of(events, D(2030, 1, 1))
    assert late.facts is not None and late.facts.models == ("LW-2100", "LW-2200")
    assert late.facts.ruleset_id == "coatings/GB-T-35602-2024"
    assert late.facts.decisions == ("d1", "s1", "s2", "r1", "x1", "c1")
    assert late.facts.valid_until == D(2031, 5, 9)
    # before the conversion the certificate was under the old edition: the log answers for any day
    before = status_as_of(events, D(2028, 12, 31))
    assert before.facts is not None and before.facts.ruleset_id == "coatings/GB-T-35602-2017"
    # surveillance: interval from the last surveillance; overdue after it
    assert late.last_surveillance == D(2028, 5, 1) and late.surveillance_due == D(2029, 5, 1)
    assert late.surveillance_overdue


def test_a_missed_deadline_says_so_and_revocation_needs_an_event() -> None:
    events = log(issued(), Event("suspended", D(2027, 1, 1), reason="complaint verified", deadline=D(2027, 3, 1)))
    lapsed = status_as_of(events, D(2027, 3, 2))
    assert lapsed.state == "suspended" and lapsed.deadline_missed and "revoked" in lapsed.notes[0]
    assert status_as_of(events, D(2027, 3, 1)).deadline_missed is False
    assert refused(events, Event("restored", D(2027, 3, 5), decision=decision(on=D(2027, 3, 4)))) == \
        "certificate_deadline_passed"
    events = log(*events, Event("revoked", D(2027, 3, 5), reason="deadline missed"))
    s = status_as_of(events, D(2027, 3, 5))
    assert (s.state, s.reason, s.since) == ("revoked", "deadline missed", D(2027, 3, 5))
    assert status_as_of(events, D(2027, 3, 4)).state == "suspended"


def test_illegal_moves_are_refused_with_the_reason() -> None:
    events = log(issued(), Event("revoked", D(2027, 1, 1), reason="fraud"))
    with pytest.raises(TransitionRefused) as info:
        check(events, Event("restored", D(2027, 1, 2), decision=decision(on=D(2027, 1, 2))))
    assert "cannot restore a certificate that is revoked since 2027-01-01: fraud" in str(info.value)
    assert refused([], Event("issued", D(2026, 5, 10), decision=decision("refused"), schedule=SCHEDULE)) == \
        "certificate_decision_not_granted"
    with pytest.raises(TransitionRefused, match=r"`incomplete` .*missing: `formaldehyde`"):
        check([], Event("issued", D(2026, 5, 10), decision=decision("incomplete"), schedule=SCHEDULE))
    assert refused([], Event("issued", D(2026, 5, 10), decision=decision(binding=False), schedule=SCHEDULE)) == \
        "certificate_decision_not_binding"
    fresh = log(issued())
    expired = Event("surveillance_recorded", D(2031, 6, 1), decision=decision(on=D(2031, 5, 20)))
    with pytest.raises(TransitionRefused, match="cannot surveil a certificate that is expired since 2031-05-10"):
        check(fresh, expired)
    assert refused(fresh, issued()) == "certificate_already_issued"
    assert refused([], Event("suspended", D(2026, 6, 1), reason="x")) == "certificate_not_issued"
    assert refused(fresh, Event("restored", D(2026, 6, 1), decision=decision())) == "certificate_transition_refused"
    assert refused(fresh, Event("suspended", D(2026, 6, 1))) == "certificate_reason_required"
    assert refused(fresh, Event("expired", D(2030, 1, 1))) == "certificate_not_expired"
    assert refused(fresh, Event("surveillance_recorded", D(2027, 1, 1), decision=decision(model="OTHER"))) == \
        "certificate_decision_other_product"
    assert refused(fresh, Event("converted", D(2027, 1, 1), decision=decision())) == "certificate_same_edition"
    assert refused(fresh, Event("scope_extended", D(2027, 1, 1), decision=decision())) == "certificate_scope_unchanged"
    assert refused(fresh, Event("scope_reduced", D(2027, 1, 1), models=("LW-2100",))) == "certificate_scope_empty"
    assert refused(fresh, Event("scope_reduced", D(2027, 1, 1), models=("NOPE",))) == "certificate_scope_unknown"
    assert refused(fresh, Event("cancelled", D(2026, 5, 1), reason="holder asked")) == \
        "certificate_event_out_of_order"
    assert refused(fresh, Event("surveillance_recorded", D(2026, 6, 1), decision=decision(on=D(2026, 7, 1)))) == \
        "certificate_decision_after_event"


def test_no_invented_numbers_a_suspension_without_a_set_period_needs_its_deadline() -> None:
    bare = Schedule(validity=SCHEDULE.validity)
    events = log(issued(schedule=bare))
    assert refused(events, Event("suspended", D(2027, 1, 1), reason="x")) == "certificate_deadline_required"
    assert refused(events, Event("surveillance_recorded", D(2027, 1, 1), decision=decision("refused"))) == \
        "certificate_deadline_required"
    log(*events, Event("suspended", D(2027, 1, 1), reason="x", deadline=D(2027, 2, 1)))
    s = status_as_of(events, D(2027, 1, 1))
    assert s.surveillance_due is None and any("surveillance interval not set" in n for n in s.notes)
    assert refused([], Event("issued", D(2026, 5, 10), decision=decision(), schedule=Schedule())) == \
        "certificate_validity_unknown"


def test_the_shipped_schedule_has_only_the_sourced_validity() -> None:
    result = load([default_catalog_dir()])
    assert result.scheme is not None
    schedule = schedule_from_policy(result.scheme.certificate)
    assert schedule.validity is not None and (schedule.validity.value, schedule.validity.unit) == (5, "years")
    assert schedule.validity.provenance == "secondary"
    for name in ("surveillance_interval", "suspension_period", "renewal_window", "transition"):
        setting = getattr(schedule, name)
        assert setting is None or setting.provenance == "default", name


def test_due_items() -> None:
    schedule = replace(SCHEDULE, renewal_window=Period(6, "months", "default"))
    events = log(issued(schedule=schedule))
    day = D(2027, 4, 20)
    kinds = [i.kind for i in due_items(status_as_of(events, day), day, dt.timedelta(days=30))]
    assert kinds == ["surveillance_due"]
    assert [i.kind for i in due_items(status_as_of(events, D(2027, 6, 1)), D(2027, 6, 1), dt.timedelta(0))] == \
        ["surveillance_overdue"]
    events = log(*events, Event("suspended", D(2027, 5, 1), reason="x", deadline=D(2027, 5, 20)))
    assert [i.kind for i in due_items(status_as_of(events, D(2027, 5, 10)), D(2027, 5, 10), dt.timedelta(days=15))] \
        == ["suspension_lapsing"]
    assert [i.kind for i in due_items(status_as_of(events, D(2027, 5, 21)), D(2027, 5, 21), dt.timedelta(0))] == \
        ["suspension_lapsed"]
    renew = log(issued(schedule=schedule))
    assert "renewal_due" in [i.kind for i in due_items(status_as_of(renew, D(2030, 12, 1)), D(2030, 12, 1),
                                                       dt.timedelta(0))]


def test_add_period_and_round_trip() -> None:
    assert add_period(D(2028, 2, 29), Period(5, "years", "x")) == D(2033, 2, 28)
    assert add_period(D(2026, 1, 31), Period(1, "months", "x")) == D(2026, 2, 28)
    assert add_period(D(2026, 1, 31), Period(-1, "months", "x")) == D(2025, 12, 31)
    e = Event("issued", D(2026, 5, 10), decision=decision(), schedule=SCHEDULE)
    assert Event.from_dict(e.to_dict()) == e


def test_every_refusal_code_is_documented() -> None:
    import re

    from engine.loader import PROJECT_ROOT

    source = (PROJECT_ROOT / "engine" / "certificates.py").read_text(encoding="utf-8")
    service = (PROJECT_ROOT / "api" / "certificates.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:_refuse\(|\d{3}, )"(certificate_[a-z_]+)"', source + service))
    guide = (PROJECT_ROOT / "docs" / "certificates.md").read_text(encoding="utf-8")
    assert len(codes) > 20
    assert sorted(c for c in codes if f"`{c}`" not in guide) == []


def test_conversion_due_when_a_new_edition_replaces_the_certificates() -> None:
    from engine.certificates import EditionEnd

    def conversions(*args: Any) -> list[Any]:
        return [i for i in due_items(*args) if i.kind.startswith("conversion")]

    events = log(issued())
    old = "coatings/GB-T-35602-2017"
    day = D(2027, 6, 1)
    status = status_as_of(events, day)
    # no transition period set, none in the rule set: due the day the new edition takes effect, and said so
    (item,) = conversions(status, day, dt.timedelta(days=30), {old: EditionEnd(D(2027, 6, 20))})
    assert (item.kind, item.due) == ("conversion_due", D(2027, 6, 20)) and "no transition period" in item.detail
    assert conversions(status, day, dt.timedelta(days=5), {old: EditionEnd(D(2027, 6, 20))}) == []
    (late,) = conversions(status, day, dt.timedelta(0), {old: EditionEnd(D(2027, 5, 1))})
    assert late.kind == "conversion_overdue"
    # the rule set's own transition comes first; then the schedule's period
    (ruled,) = conversions(status, day, dt.timedelta(days=300), {old: EditionEnd(D(2027, 5, 1), D(2027, 12, 31))})
    assert ruled.due == D(2027, 12, 31)
    with_period = log(issued(schedule=replace(SCHEDULE, transition=Period(12, "months", "default"))))
    (by_period,) = conversions(status_as_of(with_period, day), day, dt.timedelta(days=400),
                               {old: EditionEnd(D(2027, 5, 1))})
    assert by_period.due == D(2028, 5, 1) and "12 months (default)" in by_period.detail
    # converted certificates are not listed
    converted = log(*events, Event("converted", D(2027, 5, 2), decision=decision(
        on=D(2027, 5, 1), ruleset="coatings/GB-T-35602-2027", ident="c")))
    assert conversions(status_as_of(converted, day), day, dt.timedelta(0), {old: EditionEnd(D(2027, 5, 1))}) == []
