"""The evaluator builds the records of a decision field by field, by name (engine/evaluator.py, `_record`): every
field is set, and each from the value of the same name (a plan's `CriterionRecord`, the verdict, the admission)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from engine import Repository
from engine import evaluator as ev
from engine.compiler import CompiledRuleSet, CriterionRecord
from engine.decision import CriterionResult, EvidenceRef, LabelResult, OpenGrade, Rejection, RequirementResult


@pytest.fixture(scope="module")
def compiled() -> Iterator[CompiledRuleSet]:
    repo = Repository.load()
    yield repo.compiled("coatings/GB-T-35602-2017")
    repo.close()


def _every_field_set(record: object) -> dict[str, object]:
    values = {}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        try:
            values[f.name] = getattr(record, f.name)
        except AttributeError:
            pytest.fail(f"{type(record).__name__}.{f.name} is not set by the evaluator")
    return values


def test_a_criterion_result_takes_each_field_from_the_value_of_its_name(compiled: CompiledRuleSet) -> None:
    # a distinct value per field: a field filled from another of the same type would show
    # (the one bool field aside: the compiled plans check their fields' types)
    texts = {f.name: f"<{f.name}>" for f in dataclasses.fields(CriterionRecord) if f.name != "optional"}
    record = CriterionRecord(**texts, optional=True)
    plan = dataclasses.replace(compiled.criteria[0], record=record)
    ref = EvidenceRef("test_report", "<evidence>")
    rejected = (Rejection(ref, "<rejection>", "<detail>"),)
    admission = ev.Admission(value="<value>", not_detected=False, result=None, evidence=ref, issued=None,
                             rejected=rejected)
    out = ev._criterion_result(plan, ev.Verdict("<verdict>", "<reason>", "<detail>"), admission)
    values = _every_field_set(out)
    expected = {f.name: getattr(record, f.name) for f in dataclasses.fields(CriterionRecord)}
    expected.update(verdict="<verdict>", reason="<reason>", detail="<detail>", measured=None, margin=None,
                    margin_relative=None, evidence=ref, rejected=rejected)
    assert values == expected
    assert set(expected) == {f.name for f in dataclasses.fields(CriterionResult)}


def test_a_label_result_takes_each_field_from_the_value_of_its_name(compiled: CompiledRuleSet) -> None:
    lp = compiled.labels[0]
    grades = (OpenGrade("<grade>", 1.0, "mg"),)
    out = ev._label_result(lp, "<status>", "<attribute>", "<grade>", ["<failed>"], ["<open>"], grades)
    lab = lp.label
    assert _every_field_set(out) == {
        "id": lab.id, "kind": lab.kind, "name_zh": lab.name.zh, "name_en": lab.name.en, "status": "<status>",
        "attribute": "<attribute>", "grade": "<grade>", "failed": ("<failed>",), "open": ("<open>",),
        "open_grades": grades}
    assert isinstance(out, LabelResult)


def test_a_requirement_result_takes_each_field_from_the_value_of_its_name(compiled: CompiledRuleSet) -> None:
    bp = compiled.basics[0]
    ref = EvidenceRef("certificate", "<certificate>", valid_until=dt.date(2030, 1, 1))
    b = bp.requirement
    out = ev._basic_result(bp, ref, {bp.rule}, dt.date(2031, 1, 1))
    assert _every_field_set(out) == {
        "id": b.id, "name_zh": b.name.zh, "name_en": b.name.en, "verdict": "not_acceptable",
        "reason": "certificate_not_valid", "detail": "certificate not valid on 2031-01-01 (valid until 2030-01-01)",
        "evidence": ref, "clause": b.clause}
    assert isinstance(out, RequirementResult)
