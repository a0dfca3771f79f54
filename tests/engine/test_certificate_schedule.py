"""The certificate schedule: catalogue, rule set, service and overlay settings, each with where it comes from."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from engine import DiagnosticError, Repository
from engine.certificates import (
    DecisionFacts,
    EditionEnd,
    Event,
    LabelFacts,
    Period,
    Schedule,
    check,
    due_items,
    resolve_schedule,
    status_as_of,
)
from engine.loader import load
from engine.overlays import apply_overlays

TARGET = "coatings/GB-T-35602-2017"
D = dt.date


def _write(tmp_path: Path, text: str, name: str = "schedule.yaml") -> Path:
    d = tmp_path / "overlays"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


OVERLAY = """\
    format: greencert/overlay@1
    id: example_cb/coatings_schedule
    target: coatings/GB-T-35602-2017
    source: Example Certification Co. procedure EC-GP-09 (illustrative, for the test)
    certificate:
      surveillance_interval: {value: 12, unit: months, provenance: {status: default}}
      suspension_period:
        value: 90
        unit: days
        provenance: {status: default, source: EC-GP-09 §5 (illustrative)}
    """


def test_an_overlay_sets_the_schedule_of_its_rule_set_with_provenance(tmp_path: Path) -> None:
    shipped = Repository.load()
    repo = Repository.load(overlay_dirs=[_write(tmp_path, OVERLAY)])
    rs = repo.rulesets[TARGET]
    assert rs.certificate is not None and rs.certificate.surveillance_interval is not None
    assert rs.certificate.surveillance_interval.overlay == "example_cb/coatings_schedule"
    schedule = resolve_schedule(repo.scheme.certificate if repo.scheme else None, rs.certificate)
    interval = schedule.surveillance_interval
    assert interval is not None and (interval.value, interval.unit) == (12, "months")
    assert (interval.provenance, interval.set_by, interval.overlay) == ("default", "overlay",
                                                                        "example_cb/coatings_schedule")
    # a setting without its own source takes the overlay's `source`
    assert interval.source == "Example Certification Co. procedure EC-GP-09 (illustrative, for the test)"
    period = schedule.suspension_period
    assert period is not None and period.source == "EC-GP-09 §5 (illustrative)" and period.unit == "days"
    # the validity stays the catalogue's, with its source; the unset settings stay unset
    validity = schedule.validity
    assert validity is not None and (validity.value, validity.unit, validity.set_by) == (5, "years", "catalogue")
    assert validity.provenance == "secondary"
    assert schedule.renewal_window is None and schedule.transition is None
    # the overlaid rule set has another version; other rule sets and the shipped one are untouched
    assert repo.versions[TARGET] != shipped.versions[TARGET]
    assert shipped.rulesets[TARGET].certificate is None
    assert {r: v for r, v in repo.versions.items() if r != TARGET} == {
        r: v for r, v in shipped.versions.items() if r != TARGET}


def test_the_overlaid_schedule_survives_the_snapshot(tmp_path: Path) -> None:
    repo = Repository.load(overlay_dirs=[_write(tmp_path, OVERLAY)])
    again = Repository.from_snapshots([repo.snapshot(TARGET)])
    assert again.versions[TARGET] == repo.versions[TARGET]
    assert again.rulesets[TARGET].certificate == repo.rulesets[TARGET].certificate


def test_an_overlay_cannot_change_the_sourced_validity(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/longer
        target: coatings/GB-T-35602-2017
        source: wishful thinking
        certificate:
          validity: {value: 6, unit: years, provenance: {status: default}}
        """)
    result, applied = apply_overlays(load(), [overlays])
    [d] = [d for d in result.diagnostics if d.code == "overlay_setting_fixed"]
    assert d.file is not None and d.file.endswith("schedule.yaml") and d.line == 6
    assert "`validity` is 5 years" in d.message and "6 years" in d.message and "secondary" in d.message
    assert TARGET not in applied
    with pytest.raises(DiagnosticError):
        Repository.load(overlay_dirs=[overlays])
    # the same number is no change: the sourced setting stays, with its source
    same = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/same
        target: coatings/GB-T-35602-2017
        source: restating the Measures
        certificate:
          validity: {value: 60, unit: months, provenance: {status: default}}
          renewal_window: {value: 6, unit: months, provenance: {status: default}}
        """, "schedule.yaml")
    result, applied = apply_overlays(load(), [same])
    assert [d.code for d in result.diagnostics if d.code.startswith("overlay_")] == [
        "overlay_setting_fixed"]  # 60 months is 5 years in other words: still a change of the sourced setting


def test_a_period_as_long_as_the_validity_is_refused_with_its_location(tmp_path: Path) -> None:
    overlays = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/units_mixed_up
        target: coatings/GB-T-35602-2017
        source: a typo
        certificate:
          surveillance_interval: {value: 12, unit: years, provenance: {status: default}}
          renewal_window: {value: 1826, unit: days, provenance: {status: default}}
          suspension_period: {value: 3, unit: months, provenance: {status: default}}
        """)
    result, applied = apply_overlays(load(), [overlays])
    found = sorted((d.code, d.line) for d in result.diagnostics if d.code == "overlay_schedule_error")
    assert found == [("overlay_schedule_error", 6), ("overlay_schedule_error", 7)]
    assert TARGET not in applied


def test_an_overlay_setting_needs_a_known_shape_and_a_sourced_strength(tmp_path: Path) -> None:
    bad_unit = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/weeks
        target: coatings/GB-T-35602-2017
        source: x
        certificate:
          suspension_period: {value: 6, unit: weeks, provenance: {status: default}}
        """)
    result, _ = apply_overlays(load(), [bad_unit])
    assert any(d.code == "overlay_schema_error" and d.line == 6 for d in result.diagnostics)
    unconfirmed = _write(tmp_path, """\
        format: greencert/overlay@1
        id: example_cb/guess
        target: coatings/GB-T-35602-2017
        source: a guess
        certificate:
          suspension_period: {value: 6, unit: months, provenance: {status: unconfirmed}}
        """)
    result, applied = apply_overlays(load(), [unconfirmed])
    [d] = [d for d in result.diagnostics if d.code == "rules_provenance_error"]
    assert d.file is not None and d.file.endswith("schedule.yaml") and "suspension_period" in d.message
    assert TARGET not in applied


def test_precedence_catalogue_ruleset_service_overlay() -> None:
    from engine.models import CertificatePolicy, Provenance, Setting

    def setting(value: int, status: str = "default", overlay: str | None = None) -> Setting:
        return Setting(value=value, unit="months", provenance=Provenance(status=status, source="s"),  # type: ignore[arg-type]
                       overlay=overlay)

    scheme = CertificatePolicy(validity=Setting(value=5, unit="years",
                                                provenance=Provenance(status="secondary", source="Measures")))
    ruleset = CertificatePolicy(surveillance_interval=setting(12), transition=setting(24, "primary"),
                                suspension_period=setting(3, overlay="cb/x"))
    service = {"surveillance_interval": Period(6, "months", "default", "env", "service"),
               "transition": Period(1, "months", "default", "env", "service"),
               "suspension_period": Period(1, "months", "default", "env", "service"),
               "renewal_window": Period(2, "months", "default", "env", "service")}
    s = resolve_schedule(scheme, ruleset, service)
    assert s.validity is not None and s.validity.set_by == "catalogue"
    # the body's service setting beats a rule set's labelled default, not a sourced setting
    assert s.surveillance_interval is not None and (s.surveillance_interval.value, s.surveillance_interval.set_by) == (
        6, "service")
    assert s.transition is not None and (s.transition.value, s.transition.set_by) == (24, "ruleset")
    # the overlay (this body, this rule set) beats the service setting (this body, every rule set)
    assert s.suspension_period is not None and (s.suspension_period.value, s.suspension_period.set_by,
                                                s.suspension_period.overlay) == (3, "overlay", "cb/x")
    assert s.renewal_window is not None and s.renewal_window.set_by == "service"
    assert resolve_schedule(None) == Schedule()
    # round trip through the log's JSON, and an old log (no `set_by`) still reads
    assert Schedule.from_dict(s.to_dict()) == s
    assert Period.from_dict({"value": 5, "unit": "years", "provenance": "secondary", "source": None}).set_by is None


def _decision(ruleset: str, *, on: D = D(2026, 5, 1), outcome: str = "granted") -> DecisionFacts:
    return DecisionFacts(f"{ruleset}-{on}", outcome, True, "coatings", ruleset, "sha256:x", "GB/T x", "LW-2100", None,
                         on, (LabelFacts("green_product", "full"),))


def test_the_overlay_schedule_drives_deadlines_due_lists_and_conversion() -> None:
    validity = Period(5, "years", "secondary", "Measures", "catalogue")
    overlay = Schedule(validity=validity,
                       surveillance_interval=Period(12, "months", "default", "EC-GP-09", "overlay", "cb/s"),
                       suspension_period=Period(90, "days", "default", "EC-GP-09", "overlay", "cb/s"),
                       transition=Period(6, "months", "default", "EC-GP-09", "overlay", "cb/s"))
    log = [Event("issued", D(2026, 5, 10), decision=_decision("coatings/old"), schedule=overlay)]
    # a suspension without a stated deadline gets the overlay's period
    suspension = Event("suspended", D(2027, 1, 4), reason="surveillance found a fault")
    check(log, suspension)
    log.append(suspension)
    assert status_as_of(log, D(2027, 1, 5)).suspension_deadline == D(2027, 4, 4)
    log.append(Event("restored", D(2027, 2, 1), decision=_decision("coatings/old", on=D(2027, 1, 20))))
    status = status_as_of(log, D(2027, 5, 1))
    assert status.surveillance_due == D(2027, 5, 10) and not status.surveillance_overdue
    items = due_items(status, D(2027, 5, 1), dt.timedelta(days=150), {"coatings/old": EditionEnd(D(2027, 3, 1))})
    assert [(i.kind, i.due) for i in items] == [("surveillance_due", D(2027, 5, 10)),
                                                ("conversion_due", D(2027, 9, 1))]
    assert "transition period 6 months (default)" in items[1].detail
    # converted: the new edition's schedule (recorded in the event) from then on; the expiry does not move
    new = Schedule(validity=Period(3, "years", "default", "x", "overlay", "cb/n"),
                   surveillance_interval=Period(6, "months", "default", "EC-GP-10", "overlay", "cb/n"))
    conversion = Event("converted", D(2027, 6, 1), decision=_decision("coatings/new", on=D(2027, 5, 20)), schedule=new)
    check(log, conversion)
    log.append(conversion)
    after = status_as_of(log, D(2027, 6, 2))
    assert after.facts is not None and after.facts.expires_on == D(2031, 5, 10)
    assert after.facts.schedule.surveillance_interval == new.surveillance_interval
    assert after.facts.schedule.validity == validity
    assert after.facts.schedule.suspension_period is None
