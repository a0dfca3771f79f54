"""The durable-rules engine and the independent reference evaluator agree on generated applications."""

# For every shipped rule set (and two synthetic ones exercising what the shipped content lacks), N seeded
# applications (GREENCERT_AGREEMENT_N, default 10,000) go through intake and the engine, and through the
# reference evaluator; every verdict, reason, margin, label and the outcome must be identical. Reproduce a
# reported mismatch with `AppGenerator(ruleset, category, editions).generate(seed)`. Each run must also have
# reached every branch its rule set allows (each verdict, rejection reason, inspection state, label status,
# grade, outcome, certification unit...), which takes a few thousand applications: below N = 1,000 the
# coverage check may fail for want of samples, not because of a bug.

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import multiprocessing
import os
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine import Application, Decision, DiagnosticError, Repository, application_from_data, evaluate
from engine.compiler import CompiledRuleSet
from engine.evaluator import evaluate_batch
from engine.models import RuleSet
from engine.units import conversion
from engine.yamlsource import SourceDocument
from tests.support.appgen import AppGenerator, GeneratedApp
from tests.support.reference_evaluator import (
    ReferenceDecision,
    condition_holds,
    diff,
    engine_view,
    evaluate_reference,
    reference_view,
)

N = int(os.environ.get("GREENCERT_AGREEMENT_N", "10000"))
# applications gathered before `evaluate_batch` evaluates them again, to compare with `evaluate` (not a multiple
# of durable_core.PER_SESSION, so that partial sessions are exercised too)
BATCH = 37
MAX_REPORTED = 5
# The JSON Schema check costs three times an evaluation: every tenth application goes through the whole of
# intake (schema included), the others through the typed model and `Repository.prepare` (references,
# certification unit, edition, parameter and result checks).
SCHEMA_EVERY = 10
# Processes evaluating in parallel (durable-rules holds the GIL, so threads would not help); 1: in this process.
WORKERS = int(os.environ.get("GREENCERT_AGREEMENT_WORKERS", str(min(2, os.cpu_count() or 1))))

SHIPPED = Repository.load()
SHIPPED_IDS = sorted(SHIPPED.rulesets)


# ---------------------------------------------------------------------------------------------- one run

@dataclass
class Run:
    ruleset_id: str
    apps: int = 0
    batched: int = 0  # of them, also evaluated with evaluate_batch
    rejected: list[str] = field(default_factory=list)  # the first few
    rejected_count: int = 0
    mismatches: list[str] = field(default_factory=list)
    mismatch_count: int = 0
    intake_s: float = 0.0
    engine_s: float = 0.0
    reference_s: float = 0.0
    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    rejection_reasons: Counter[str] = field(default_factory=Counter)
    basic_verdicts: Counter[str] = field(default_factory=Counter)
    inspections: Counter[str] = field(default_factory=Counter)
    label_statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    grades: Counter[tuple[str, str]] = field(default_factory=Counter)
    grade_cases: Counter[tuple[str, str]] = field(default_factory=Counter)  # (grade label, case): see _count
    outcomes: Counter[str] = field(default_factory=Counter)
    margin_signs: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    applicability: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (criterion, applies)

    wall_s: float = 0.0

    def figures(self) -> str:
        """Throughput per process (CPU seconds spent in each stage), and the wall time of the whole run."""
        return (f"{self.ruleset_id}: {self.apps} apps in {self.wall_s:.1f}s; per process: intake "
                f"{self.apps / max(self.intake_s, 1e-9):,.0f} apps/s, engine.evaluate "
                f"{self.apps / max(self.engine_s, 1e-9):,.0f} apps/s, reference "
                f"{self.apps / max(self.reference_s, 1e-9):,.0f} apps/s")

    def merge(self, other: Run) -> None:
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, (Counter, list)):
                mine += theirs
            elif isinstance(mine, (int, float)) and f.name != "wall_s":
                setattr(self, f.name, mine + theirs)
        self.mismatches = self.mismatches[:MAX_REPORTED]
        self.rejected = self.rejected[:MAX_REPORTED]


# Worker processes (spawned, never forked: durable-rules state must not be inherited) load their own
# repository once per set of paths; the parent splits the seeds of a run between them.
_worker_repos: dict[tuple[str, ...] | None, Repository] = {}


def _worker_run(paths: tuple[str, ...] | None, ruleset_id: str, first_seed: int, n: int) -> Run:
    repo = _worker_repos.get(paths)
    if repo is None:
        repo = _worker_repos[paths] = Repository.load([Path(p) for p in paths] if paths is not None else None)
    return run_agreement(repo, ruleset_id, n, first_seed)


def run_parallel(pool: ProcessPoolExecutor | None, repo: Repository, paths: tuple[str, ...] | None,
                 ruleset_id: str, n: int) -> Run:
    start = time.perf_counter()
    if pool is None:
        run = run_agreement(repo, ruleset_id, n)
    else:
        chunks = max(1, min(n, WORKERS * 2))
        bounds = [n * i // chunks for i in range(chunks + 1)]
        futures = [pool.submit(_worker_run, paths, ruleset_id, lo, hi - lo) for lo, hi in zip(bounds, bounds[1:])]
        run = Run(ruleset_id)
        for f in futures:
            run.merge(f.result())
    run.wall_s = time.perf_counter() - start
    return run


def run_agreement(repo: Repository, ruleset_id: str, n: int, first_seed: int = 0) -> Run:
    rs = repo.rulesets[ruleset_id]
    cat = repo.categories[rs.category]
    gen = AppGenerator(rs, cat, repo.editions(rs.category))
    run = Run(ruleset_id)
    batch: list[tuple[int, CompiledRuleSet, Application, str | None, dt.date, Decision]] = []
    for seed in range(first_seed, first_seed + n):
        if len(batch) == BATCH:
            _check_batch(run, batch)
        g = gen.generate(seed)
        run.apps += 1
        run.tags.update(g.tags)
        t0 = time.perf_counter()
        try:
            if seed % SCHEMA_EVERY == 0:
                typed, doc, diags = application_from_data(g.data)
                if typed is None or diags:
                    raise DiagnosticError(diags)
                app = typed
            else:
                app, doc = Application.model_validate(g.data), SourceDocument("<generated>", g.data, {}, {})
            compiled, checked, unit = repo.prepare(app, doc, g.as_of)
        except DiagnosticError as e:
            run.rejected_count += 1
            if len(run.rejected) < MAX_REPORTED:
                run.rejected.append(f"seed {seed}: " + "; ".join(f"{d.code}: {d.message} ({d.field})"
                                                                 for d in e.diagnostics))
            continue
        t1 = time.perf_counter()
        decision = evaluate(compiled, checked, g.as_of, unit=unit)
        t2 = time.perf_counter()
        ref = evaluate_reference(rs, cat, app, g.as_of, g.unit)  # the application as submitted, names unresolved
        t3 = time.perf_counter()
        run.intake_s += t1 - t0
        run.engine_s += t2 - t1
        run.reference_s += t3 - t2
        problems = diff(engine_view(decision), reference_view(ref))
        if compiled.ruleset.id != rs.id:
            problems.insert(0, f"edition: intake chose `{compiled.ruleset.id}`, generated for `{rs.id}`")
        if unit != g.unit:
            problems.insert(0, f"certification unit: intake resolved `{unit}`, generated for `{g.unit}`")
        if problems:
            run.mismatch_count += 1
            if len(run.mismatches) < MAX_REPORTED:
                run.mismatches.append(_mismatch_text(g, problems))
        _count(run, ref)
        batch.append((seed, compiled, checked, unit, g.as_of, decision))
    _check_batch(run, batch)
    return run


def _check_batch(run: Run, batch: list[tuple[int, CompiledRuleSet, Application, str | None, dt.date, Decision]]) -> None:
    """`evaluate_batch` (shared durable sessions) must give exactly the decisions `evaluate` gave one by one;
    the applications of a run are grouped by edition and evaluation date, as a bulk run would pass them."""
    groups: dict[tuple[str, dt.date], list[tuple[int, CompiledRuleSet, Application, str | None, dt.date, Decision]]] = {}
    for entry in batch:
        groups.setdefault((entry[1].ruleset.id, entry[4]), []).append(entry)
    for (_, as_of), entries in groups.items():
        together = evaluate_batch(entries[0][1], [(app, unit) for _, _, app, unit, _, _ in entries], as_of)
        run.batched += len(together)
        for (seed, *_, alone), decision in zip(entries, together):
            if decision != alone:
                run.mismatch_count += 1
                if len(run.mismatches) < MAX_REPORTED:
                    run.mismatches.append(f"seed {seed}: evaluate_batch differs from evaluate")
    batch.clear()


def _mismatch_text(g: GeneratedApp, problems: list[str]) -> str:
    return (f"seed {g.seed} of `{g.ruleset_id}` (as_of {g.as_of}, unit {g.unit}):\n"
            + textwrap.indent("\n".join(problems[:12]), "    "))


def _count(run: Run, ref: ReferenceDecision) -> None:
    run.outcomes[ref.outcome] += 1
    for cid, (verdict, reason, margin) in ref.criteria.items():
        run.applicability[(cid, verdict != "not_applicable")] += 1
        run.verdicts[verdict] += 1
        if reason:
            run.reasons[reason] += 1
        if margin is not None:
            run.margin_signs["zero" if margin == 0 else ("positive" if margin > 0 else "negative")] += 1
            run.margin_signs[f"{verdict}_{'zero' if margin == 0 else ('positive' if margin > 0 else 'negative')}"] += 1
    for reasons in ref.rejections.values():
        run.rejection_reasons.update(reasons)
    run.basic_verdicts.update(ref.basics.values())
    if ref.inspection is not None:
        run.inspections[ref.inspection] += 1
        if ref.inspection_reason:
            run.inspections[ref.inspection_reason] += 1
    for lid, (status, grade, _) in ref.labels.items():
        run.label_statuses[(lid, status)] += 1
        if grade is not None:
            run.grades[(lid, grade)] += 1
    for lid, measurement in ref.grade_measurements.items():
        status, _, open_grades = ref.labels[lid]
        if measurement == "pass":
            run.grade_cases[(lid, "proven_" + _GATE_CASES[status])] += 1
            if open_grades:
                run.grade_cases[(lid, "nd_proven_better_open")] += 1
        else:
            run.grade_cases[(lid, {"fail": "value_no_grade", "undetermined": "nd_no_grade"}.get(
                measurement, "no_measurement"))] += 1
        if ref.scope == (lid,):
            run.grade_cases[(lid, "grade_only_scope_" + ref.outcome)] += 1


# a grade label whose measurement proves a grade: eligible, or held back by the gate
_GATE_CASES = {"eligible": "eligible", "not_eligible": "gate_failed", "undetermined": "gate_open"}


def assert_agreement(run: Run) -> None:
    print(run.figures())
    assert run.apps > 0
    assert run.batched == run.apps - run.rejected_count, "every application is also evaluated by evaluate_batch"
    assert run.rejected_count == 0, (f"{run.rejected_count} of {run.apps} generated applications were rejected by "
                                     "intake, first ones:\n" + "\n".join(run.rejected))
    assert run.mismatch_count == 0, (f"{run.mismatch_count} of {run.apps} applications decided differently; first "
                                     "ones:\n" + "\n".join(run.mismatches))


# ---------------------------------------------------------------------------------------------- coverage

def expected_coverage(rs: RuleSet, gen: AppGenerator) -> dict[str, set[Any]]:
    """What a run over `rs` must have produced at least once for the agreement not to be vacuous."""
    indicators = gen.indicators
    crit = list(rs.criteria)
    shipped = [c for c in crit if c.requirement.has_limit]
    quantity = [c for c in crit if indicators[c.indicator].kind == "quantity"]
    with_results = [c for c in crit if indicators[c.indicator].kind != "document"]
    verdicts = set()
    if shipped:
        verdicts |= {"pass", "missing"}
    if any(c.requirement.op != "present" for c in shipped):
        verdicts.add("fail")
    if any(indicators[c.indicator].kind != "document" for c in shipped):
        verdicts.add("not_acceptable")
    if len(shipped) < len(crit):
        verdicts.add("undetermined")
    if any(_can_skip(c, gen) for c in crit):
        verdicts.add("not_applicable")
    rejections = {"issued_after_evaluation_date", "expired", "unqualified_laboratory"}
    if any(gen.policies[i][2] for i, c in enumerate(crit) if c in with_results):
        rejections.add("other_model")
    if quantity:
        rejections.add("detection_limit_missing")  # a unit of another kind is refused at intake, before evaluation
    if any(c.requirement.op in ("gte", "gt", "eq", "between") for c in quantity):
        rejections.add("not_detected_not_comparable")
    if any(c.requirement.op in ("lte", "lt", "not_detected") and c.requirement.value is not None for c in quantity):
        rejections.add("detection_limit_too_high")
    reasons = {"no_evidence"} if shipped else set()
    if any(c.requirement.op in ("lte", "lt", "not_detected") for c in shipped):
        reasons.add("limit_exceeded")
    if any(c.requirement.op in ("gte", "gt", "eq", "between", "one_of") for c in shipped):
        reasons.add("requirement_not_met")
    if len(shipped) < len(crit):
        reasons.add("limit_unconfirmed")
    margins = set()
    if any(c.requirement.op in ("lte", "lt", "gte", "gt", "between") for c in shipped if c in quantity):
        margins = {"positive", "negative", "zero"}
    basics = {"pass", "missing"} if rs.basic_requirements else set()
    if any(b.proof.certificate for b in rs.basic_requirements):
        basics.add("not_acceptable")
    inspections: set[str] = set()
    if rs.factory_inspection is not None and rs.factory_inspection.required:
        inspections = {"pass", "fail", "missing", "pending", "inspection_failed", "corrective_action_overdue",
                       "corrective_action_pending", "no_evidence"}
    labels: set[tuple[str, str]] = set()
    grades: set[tuple[str, str]] = set()
    grade_cases: set[tuple[str, str]] = set()
    for lab in rs.labels:
        if lab.kind == "grade":
            labels |= {(lab.id, "eligible"), (lab.id, "undetermined"), (lab.id, "not_eligible")}
            grades |= {(lab.id, g.id) for g in lab.grades or () if g.requirement.has_limit}
            grade_cases |= {(lab.id, case) for case in _grade_cases(rs, lab, gen)}
            continue
        members = [c for c in crit if not c.optional and (
            lab.kind != "partial" or (c.attribute or indicators[c.indicator].attribute) == lab.attribute)]
        labels.add((lab.id, "not_eligible"))
        if lab.kind == "partial" and not members:
            continue
        labels.add((lab.id, "undetermined"))
        units: list[str | None] = [x.id for x in gen.units] or [None]
        if any(all(c.requirement.has_limit or _can_skip(c, gen, u) for c in members) for u in units):
            labels.add((lab.id, "eligible"))
    outcomes = {"refused", "incomplete"}
    if any(status == "eligible" for _, status in labels):
        outcomes.add("granted")
    tags = {"report_tie", "report_future_1",
            "report_expired_edge", "report_age_edge", "other_model", "name_zh", "name_en", "name_en_case",
            "name_id_case", "cert_fullwidth", "cert_until_today", "cert_future_start", "cert_starts_today",
            "fi_ca_verified_later_pending", "fi_ca_due_today", "fi_ca_overdue_1", "scope_given"}
    if any(indicators[i].kind == "quantity" for i in gen.result_criteria):
        tags |= {"unit_converted", "nd", "nd_without_limit"}
    if any(indicators[i].aliases for i in gen.result_criteria):
        tags |= {"name_alias"} | ({"name_alias_case"} if gen.alias_case else set())
    if any(u.defined_by for u in gen.units):
        tags.add("unit_inferred")
    if gen.units:
        tags.add("unit_named")
    tags |= {f"unit={u.id}" for u in gen.units}
    if any(gen.thresholds.values()):
        tags.add("parameter_at_boundary")
    if gen.grade_labels:
        tags.add("scope_grade_only")
    if gen.bands:
        tags |= {f"grade_nd_{where}" for where in ("below_all", "at", "just_above", "between", "above_all")}
    applicability = {(c.id, applies) for c in crit if _can_skip(c, gen) for applies in (True, False)}
    return {"verdicts": verdicts, "rejection_reasons": rejections, "reasons": reasons, "margin_signs": margins,
            "basic_verdicts": basics, "inspections": inspections, "label_statuses": labels, "grades": grades,
            "grade_cases": grade_cases, "outcomes": outcomes, "tags": tags, "applicability": applicability}


def _grade_cases(rs: RuleSet, lab: Any, gen: AppGenerator) -> set[str]:
    """What a run must show of a grade label: its grade proven with the gate passed, failed (when a factory
    inspection is required: basic requirements cannot fail) and open; a measured value above every band; no
    measurement; the label asked for on its own, granted, refused and incomplete; and, where a criterion on the
    indicator admits such a detection limit, a not-detected result proving a grade with a better one open, and
    one above every band."""
    cases = {"proven_eligible", "value_no_grade", "no_measurement", "grade_only_scope_granted",
             "grade_only_scope_refused", "grade_only_scope_incomplete"}
    inspected = rs.factory_inspection is not None and rs.factory_inspection.required
    if inspected:
        cases.add("proven_gate_failed")
    if inspected or rs.basic_requirements:
        cases.add("proven_gate_open")
    if lab.indicator not in gen.bands:
        return cases
    unit, _ = gen.bands[lab.indicator]
    ind = gen.indicators[lab.indicator]
    bounds = [float(g.requirement.value) * factor + offset for g in lab.grades or ()
              if g.requirement.op in ("lte", "lt", "not_detected") and g.requirement.value is not None
              for factor, offset in [conversion(g.requirement.unit or ind.unit or unit, unit)]]
    caps = [math.inf if c.requirement.value is None else float(c.requirement.value) * factor + offset
            for c in rs.criteria if c.indicator == lab.indicator and c.requirement.op in ("lte", "lt", "not_detected")
            for factor, offset in [conversion(c.requirement.unit or ind.unit or unit, unit)]]
    cap = max(caps, default=-math.inf)  # the largest detection limit some criterion admits
    if bounds and cap > bounds[0] and any(b > bounds[0] for b in bounds[1:]):
        cases.add("nd_proven_better_open")
    if bounds and cap > max(bounds):
        cases.add("nd_no_grade")
    return cases


def _can_skip(c: Any, gen: AppGenerator, unit: str | None = "*") -> bool:
    """Can the criterion be not applicable (for `unit`; "*": for some unit)?"""
    when = c.applies_when
    if when is None:
        return False
    if when.certification_units is not None and (
            unit not in when.certification_units if unit != "*"
            else set(when.certification_units) != {u.id for u in gen.units}):
        return True
    return any(not all(condition_holds(cond, v) for v in gen.param_values.get(pid, []))
               for pid, cond in when.parameters.items())


def assert_coverage(run: Run, rs: RuleSet, gen: AppGenerator) -> None:
    missing = []
    for name, wanted in expected_coverage(rs, gen).items():
        seen = getattr(run, name)
        absent = sorted((w for w in wanted if not seen[w]), key=str)
        if absent:
            missing.append(f"{name}: never produced {absent}")
    assert not missing, f"the generator did not reach every branch of `{rs.id}`:\n" + "\n".join(missing)


# ---------------------------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor | None]:
    if WORKERS <= 1 or N < 1000:
        yield None
        return
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


@pytest.mark.parametrize("ruleset_id", SHIPPED_IDS)
def test_engine_agrees_with_reference_on_shipped_rule_set(pool: ProcessPoolExecutor | None, ruleset_id: str) -> None:
    run = run_parallel(pool, SHIPPED, None, ruleset_id, N)
    assert_agreement(run)
    rs = SHIPPED.rulesets[ruleset_id]
    assert_coverage(run, rs, AppGenerator(rs, SHIPPED.categories[rs.category], SHIPPED.editions(rs.category)))


def test_generation_is_reproducible_by_seed() -> None:
    rs = SHIPPED.rulesets[SHIPPED_IDS[0]]
    cat = SHIPPED.categories[rs.category]
    a = AppGenerator(rs, cat, SHIPPED.editions(rs.category)).generate(123)
    b = AppGenerator(rs, cat, SHIPPED.editions(rs.category)).generate(123)
    c = AppGenerator(rs, cat, SHIPPED.editions(rs.category)).generate(124)
    assert a == b
    assert a.data != c.data


# ---------------------------------------------------------------------------------------------- synthetic

SYNTHETIC_CATALOG = """\
format: greencert/catalog@1
category:
  id: widgets
  name: {zh: 合成测试品类, en: Synthetic test widgets}
  standards:
    - {code: SYNTHETIC 1-2017, source: "synthetic test data, not a real standard"}
    - {code: SYNTHETIC 1-2024, source: "synthetic test data, not a real standard"}
  attributes:
    - {id: resource, name: {zh: 资源属性, en: Resource}}
    - {id: energy, name: {zh: 能源属性, en: Energy}}
    - {id: environment, name: {zh: 环境属性, en: Environment}}
    - {id: quality, name: {zh: 品质属性, en: Quality}}
    - {id: low_carbon, name: {zh: 低碳属性, en: Low carbon}}
  parameters:
    - {id: form, name: {zh: 形态, en: Form}, type: choice, choices: [panel, board, film]}
    - {id: thickness, name: {zh: 厚度, en: Thickness}, type: number, unit: mm}
    - {id: indoor, name: {zh: 室内用, en: Indoor use}, type: boolean}
    - {id: series, name: {zh: 系列, en: Series}, type: text}
  certification_units:
    - id: panel_thin
      name: {zh: 薄板, en: Thin panel}
      defined_by: {form: {eq: panel}, thickness: {lte: 12}}
    - id: panel_thick
      name: {zh: 厚板, en: Thick panel}
      defined_by: {form: {eq: panel}, thickness: {gt: 12}}
    - id: board
      name: {zh: 板, en: Board}
      defined_by: {form: {one_of: [board]}}
    - id: film
      name: {zh: 膜, en: Film}
      defined_by: {form: {eq: film}, thickness: {between: [0.01, 2]}}
  indicators:
    - {id: formaldehyde_emission, name: {zh: 甲醛释放量, en: Formaldehyde emission}, aliases: [hcho_emission, HCHO],
       unit: mg/m^3, attribute: environment}
    - {id: density, name: {zh: 密度, en: Density}, unit: kg/m^3, attribute: quality}
    - {id: recycled_content, name: {zh: 再生原料含量, en: Recycled content}, aliases: [recycled], unit: '%',
       attribute: resource}
    - {id: energy_use, name: {zh: 单位产品综合能耗, en: Energy use per tonne}, unit: MJ/t, attribute: energy}
    - {id: bending_strength, name: {zh: 静曲强度, en: Bending strength}, unit: MPa, attribute: quality}
    - {id: layer_count, name: {zh: 层数, en: Layer count}, unit: '1', attribute: quality}
    - {id: flame_class, name: {zh: 燃烧性能等级, en: Fire class}, kind: choice, choices: [A1, A2, B1, B2, B3],
       attribute: quality}
    - {id: finish, name: {zh: 表面, en: Surface finish}, kind: choice, choices: [matte, satin, gloss],
       attribute: quality}
    - {id: lead_content, name: {zh: 铅含量, en: Lead content}, aliases: [Pb], unit: mg/kg, attribute: environment}
    - {id: benzene, name: {zh: 苯, en: Benzene}, unit: mg/kg, attribute: environment}
    - {id: takeback_declaration, name: {zh: 回收承诺, en: Take-back declaration}, kind: document,
       attribute: resource}
    - {id: carbon_footprint, name: {zh: 碳足迹, en: Carbon footprint}, unit: kg/t, attribute: environment}
    - {id: voc_content, name: {zh: 挥发性有机物, en: VOC content}, unit: g/L, attribute: environment}
    - {id: mercury_content, name: {zh: 汞含量, en: Mercury content}, aliases: [Hg], unit: mg/kg, attribute: environment}
"""

# Every number below is synthetic test data for the semantics, in a temporary directory: nothing is shipped.
SYNTHETIC_2017 = """\
format: greencert/ruleset@1
id: widgets/SYN-2017
category: widgets
standard: SYNTHETIC 1-2017
in_force: {from: 2018-07-01, until: 2025-01-01, accepted_until: 2025-06-30}
evidence_defaults:
  laboratory: [CMA]
  same_model: true
basic_requirements:
  - {id: qms, name: {zh: 质量管理体系, en: QMS}, clause: synthetic 4.1, proof: {certificate: GB/T 19001}}
  - {id: ems, name: {zh: 环境管理体系, en: EMS}, clause: synthetic 4.2, proof: {certificate: GB/T 24001}}
  - {id: no_accident, name: {zh: 无事故, en: No accident}, clause: synthetic 4.3, proof: {declaration: no_major_accident}}
factory_inspection: {required: true, clause: synthetic 6}
criteria:
  - id: formaldehyde_panel
    indicator: formaldehyde_emission
    requirement: {lte: 0.124, unit: mg/m^3}
    applies_when: {certification_units: [panel_thin, panel_thick]}
    clause: synthetic 5.1
    provenance: {status: confirmed, source: synthetic}
  - id: formaldehyde_board
    indicator: formaldehyde_emission
    requirement: {lt: 50, unit: µg/m^3}
    applies_when: {certification_units: [board]}
    clause: synthetic 5.2
    provenance: {status: confirmed, source: synthetic}
  - id: density
    indicator: density
    requirement: {between: [600, 900]}
    applies_when: {parameters: {thickness: {gte: 5}}}
    clause: synthetic 5.3
    provenance: {status: unconfirmed, source: synthetic}
  - id: recycled
    indicator: recycled_content
    requirement: {gte: 30}
    optional: true
    evidence:
      laboratory: [CNAS, ISO17025]
      max_age_days: 730
      provenance: {status: default, source: synthetic}
    clause: synthetic 5.4
    provenance: {status: confirmed, source: synthetic}
  - id: energy
    indicator: energy_use
    requirement: {lt: 12.5, unit: kgce/t}
    clause: synthetic 5.5
    provenance: {status: confirmed, source: synthetic}
  - id: strength
    indicator: bending_strength
    requirement: {gt: 20}
    optional: true
    applies_when: {parameters: {indoor: {eq: true}}}
    clause: synthetic 5.6
    provenance: {status: confirmed, source: synthetic}
  - id: layers
    indicator: layer_count
    requirement: {eq: 3}
    optional: true
    clause: synthetic 5.7
    provenance: {status: confirmed, source: synthetic}
  - id: fire_class
    indicator: flame_class
    requirement: {one_of: [A1, A2, B1]}
    applies_when: {parameters: {form: {one_of: [panel, board]}}}
    clause: synthetic 5.8
    provenance: {status: confirmed, source: synthetic}
  - id: finish
    indicator: finish
    requirement: {eq: matte}
    optional: true
    clause: synthetic 5.9
    provenance: {status: confirmed, source: synthetic}
  - id: lead
    indicator: lead_content
    requirement: {not_detected: true, detection_limit_max: 5, unit: mg/kg}
    evidence: {same_model: false}
    clause: synthetic 5.10
    provenance: {status: confirmed, source: synthetic}
  - id: benzene
    indicator: benzene
    requirement: {not_detected: true}
    optional: true
    applies_when: {parameters: {series: {one_of: [indoor-line, 室内]}}}
    clause: synthetic 5.11
    provenance: {status: confirmed, source: synthetic}
  - id: takeback
    indicator: takeback_declaration
    requirement: {present: true}
    clause: synthetic 5.12
    provenance: {status: confirmed, source: synthetic}
  - id: carbon
    indicator: carbon_footprint
    attribute: low_carbon
    requirement: {lte: null, unit: kg/t}
    optional: true
    clause: synthetic 5.13
    provenance: {status: unconfirmed, note: no number is known}
labels:
  - {id: full, kind: full, name: {zh: 全项, en: Full}}
  - {id: environment, kind: partial, attribute: environment, name: {zh: 分项环境, en: Partial environment}}
  - {id: quality, kind: partial, attribute: quality, name: {zh: 分项品质, en: Partial quality}}
  - {id: bronze, kind: tier, optional_share: 0, name: {zh: 铜, en: Bronze}}
  - {id: silver, kind: tier, optional_share: 0.5, name: {zh: 银, en: Silver}}
  - {id: gold, kind: tier, optional_share: 0.75, name: {zh: 金, en: Gold}}
  - id: emission_grade
    kind: grade
    indicator: formaldehyde_emission
    name: {zh: 甲醛释放等级, en: Emission grade}
    grades:
      - {id: ENF, requirement: {lte: 25, unit: µg/m^3}, provenance: {status: confirmed, source: synthetic}}
      - {id: E0, requirement: {lte: 0.05, unit: mg/m^3}, provenance: {status: confirmed, source: synthetic}}
      - {id: E1, requirement: {lte: 0.124}, provenance: {status: confirmed, source: synthetic}}
"""

SYNTHETIC_2024 = """\
format: greencert/ruleset@1
id: widgets/SYN-2024
category: widgets
standard: SYNTHETIC 1-2024
in_force: {from: 2025-01-01}
default_scope: [full, emission_grade]
evidence_defaults:
  laboratory: [CMA, CNAS]
  max_age_days: 180
  same_model: false
  provenance: {status: default, source: synthetic}
basic_requirements:
  - {id: qms, name: {zh: 质量管理体系, en: QMS}, clause: synthetic 4.1, proof: {certificate: GB/T 19001}}
  - {id: no_accident, name: {zh: 无事故, en: No accident}, clause: synthetic 4.3, proof: {declaration: no_major_accident}}
factory_inspection: {required: false, clause: synthetic 6}
criteria:
  - id: formaldehyde
    indicator: formaldehyde_emission
    requirement: {lte: 0.08}
    clause: synthetic 5.1
    provenance: {status: confirmed, source: synthetic}
  - id: recycled
    indicator: recycled_content
    requirement: {between: [20, 95], unit: kg/t}
    optional: true
    clause: synthetic 5.4
    provenance: {status: confirmed, source: synthetic}
  - id: energy
    indicator: energy_use
    requirement: {lte: null}
    clause: synthetic 5.5
    provenance: {status: unconfirmed}
  - id: strength_thick
    indicator: bending_strength
    requirement: {gte: 18.5}
    optional: true
    applies_when: {certification_units: [panel_thick], parameters: {thickness: {lt: 40}}}
    clause: synthetic 5.6
    provenance: {status: confirmed, source: synthetic}
  - id: fire_class
    indicator: flame_class
    requirement: {eq: A1}
    optional: true
    clause: synthetic 5.8
    provenance: {status: confirmed, source: synthetic}
  - id: lead
    indicator: lead_content
    requirement: {lt: 10, unit: mg/kg}
    clause: synthetic 5.10
    provenance: {status: confirmed, source: synthetic}
  - id: mercury
    indicator: mercury_content
    requirement: {lte: 0.00005, unit: '%'}
    clause: synthetic 5.11
    provenance: {status: confirmed, source: synthetic}
    note: a limit below 1e-4, which Python prints in exponent notation
  - id: layers
    indicator: layer_count
    requirement: {gt: 0}
    optional: true
    clause: synthetic 5.12
    provenance: {status: confirmed, source: synthetic}
    note: a zero limit, so the smallest floats either side of it are compared
  - id: voc_ratio
    indicator: voc_content
    requirement: {ratio_lte: {denominator: density, max: 5}, unit: '%'}
    optional: true
    clause: synthetic 5.13
    provenance: {status: confirmed, source: synthetic}
    note: the ratio of two indicators, (g/L)/(kg/m^3) converted to %
labels:
  - {id: full, kind: full, name: {zh: 全项, en: Full}}
  - {id: resource, kind: partial, attribute: resource, name: {zh: 分项资源, en: Partial resource}}
  - {id: silver, kind: tier, optional_share: 0.5, name: {zh: 银, en: Silver}}
  - id: emission_grade
    kind: grade
    indicator: formaldehyde_emission
    name: {zh: 甲醛释放等级, en: Emission grade}
    grades:
      - {id: low, requirement: {lt: 0.03}, provenance: {status: confirmed, source: synthetic}}
      - {id: medium, requirement: {lte: 0.08}, provenance: {status: confirmed, source: synthetic}}
  # on a criterion without a limit, so that not-detected results of any detection limit reach the grades; and
  # grades that a not-detected result cannot prove (a range, a lower bound)
  - id: energy_grade
    kind: grade
    indicator: energy_use
    name: {zh: 能耗等级, en: Energy grade}
    grades:
      - {id: frugal, requirement: {lt: 100}, provenance: {status: confirmed, source: synthetic}}
      - {id: typical, requirement: {between: [100, 400]}, provenance: {status: confirmed, source: synthetic}}
      - {id: heavy, requirement: {gte: 1000}, provenance: {status: confirmed, source: synthetic}}
"""


def write_synthetic(root: Path) -> Path:
    (root / "catalogs").mkdir()
    (root / "rules" / "widgets").mkdir(parents=True)
    (root / "catalogs" / "widgets.yaml").write_text(SYNTHETIC_CATALOG, encoding="utf-8")
    (root / "rules" / "widgets" / "SYN-2017.yaml").write_text(SYNTHETIC_2017, encoding="utf-8")
    (root / "rules" / "widgets" / "SYN-2024.yaml").write_text(SYNTHETIC_2024, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def synthetic_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    root = write_synthetic(tmp_path_factory.mktemp("synthetic"))
    return (str(root / "catalogs"), str(root / "rules"))


@pytest.fixture(scope="module")
def synthetic(synthetic_paths: tuple[str, ...]) -> Iterator[Repository]:
    repo = Repository.load([Path(p) for p in synthetic_paths])
    yield repo
    repo.close()


def test_synthetic_rule_sets_load(synthetic: Repository) -> None:
    assert sorted(synthetic.rulesets) == ["widgets/SYN-2017", "widgets/SYN-2024"]
    synthetic.compile_all()


@pytest.mark.parametrize("ruleset_id", ["widgets/SYN-2017", "widgets/SYN-2024"])
def test_engine_agrees_with_reference_on_synthetic_rule_set(pool: ProcessPoolExecutor | None, synthetic: Repository,
                                                            synthetic_paths: tuple[str, ...], ruleset_id: str) -> None:
    run = run_parallel(pool, synthetic, synthetic_paths, ruleset_id, N)
    assert_agreement(run)
    rs = synthetic.rulesets[ruleset_id]
    assert_coverage(run, rs, AppGenerator(rs, synthetic.categories[rs.category], synthetic.editions(rs.category)))


def test_diff_reports_a_disagreement(synthetic: Repository) -> None:
    """The comparison itself can fail: a changed margin, verdict or outcome shows up as a diff line."""
    rs = synthetic.rulesets["widgets/SYN-2017"]
    cat = synthetic.categories[rs.category]
    gen = AppGenerator(rs, cat, synthetic.editions(rs.category))
    for seed in range(200):
        g = gen.generate(seed)
        app, doc, diags = application_from_data(g.data)
        assert app is not None and not diags
        compiled, checked, unit = synthetic.prepare(app, doc, g.as_of)
        ev = engine_view(evaluate(compiled, checked, g.as_of, unit=unit))
        numeric = [k for k, (_, _, m) in ev["criteria"].items() if m is not None]
        if numeric:
            break
    else:
        pytest.fail("no generated application had a numeric margin")
    ref = reference_view(evaluate_reference(rs, cat, app, g.as_of, g.unit))
    assert diff(ev, ref) == []
    k = numeric[0]
    verdict, reason, margin = ref["criteria"][k]
    nudged = dict(ref, criteria={**ref["criteria"], k: (verdict, reason, margin * (1 + 1e-6) + 1e-6)})
    assert [line.split(":")[0] for line in diff(ev, nudged)] == [f"criteria[{k}]"]
    within = dict(ref, criteria={**ref["criteria"], k: (verdict, reason, margin * (1 + 1e-12))})
    assert diff(ev, within) == []
    flipped = dict(ref, outcome="granted" if ref["outcome"] != "granted" else "refused")
    assert diff(ev, flipped) == [f"outcome: engine={ev['outcome']!r} reference={flipped['outcome']!r}"]


def test_edition_choice_agrees(synthetic: Repository) -> None:
    """§0 edition choice: the repository and the reference pick the same edition on every day around the
    transition (both editions accepted from 2025-01-01 to 2025-06-30; the current one wins)."""
    from tests.support.reference_evaluator import select_edition_reference

    editions = synthetic.editions("widgets")
    day = dt.date(2018, 6, 25)
    chosen: Counter[str | None] = Counter()
    while day <= dt.date(2025, 7, 5):
        ref = select_edition_reference(editions, day)
        try:
            got: str | None = synthetic.select("widgets", day).id
        except DiagnosticError:
            got = None
        assert got == (ref.id if ref else None), day
        chosen[got] += 1
        day += dt.timedelta(days=1)
    assert chosen[None] == 6 and chosen["widgets/SYN-2017"] > 0 and chosen["widgets/SYN-2024"] > 0
    assert synthetic.select("widgets", dt.date(2025, 6, 30), "SYNTHETIC 1-2017").id == "widgets/SYN-2017"
    with pytest.raises(DiagnosticError):
        synthetic.select("widgets", dt.date(2025, 7, 1), "widgets/SYN-2017")


def test_generator_reaches_every_verdict_of_a_ratio(synthetic: Repository) -> None:
    """`ratio_lte` (two indicators, units converted): the generated applications pass, fail, miss a result and
    bring one that is not acceptable, so its agreement with the reference is not vacuous."""
    rs = synthetic.rulesets["widgets/SYN-2024"]
    gen = AppGenerator(rs, synthetic.categories[rs.category], synthetic.editions(rs.category))
    seen: dict[str, int] = {}
    reasons: set[str | None] = set()
    for seed in range(400):
        g = gen.generate(seed)
        app, doc, diags = application_from_data(g.data)
        assert app is not None and not diags
        try:
            compiled, checked, unit = synthetic.prepare(app, doc, g.as_of)
        except DiagnosticError:
            continue
        if compiled.ruleset.id != rs.id:
            continue
        c = next(c for c in evaluate(compiled, checked, g.as_of, unit=unit).criteria if c.id == "voc_ratio")
        seen[c.verdict] = seen.get(c.verdict, 0) + 1
        reasons.add(c.reason)
    assert {"pass", "fail", "missing", "not_acceptable"} <= set(seen), seen
    assert {"limit_exceeded", "no_evidence", "not_detected_not_comparable"} <= reasons, reasons

