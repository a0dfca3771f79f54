"""Criterion coverage: which verdicts the scenarios exercised, per rule set, and what no scenario exercises."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import Category, Criterion, Label, Repository, RuleSet

__all__ = [
    "COVERAGE_FORMAT", "DEFINITION", "ENV_COVERAGE", "ENV_FEATURES", "ENV_PATHS", "Exercised", "ItemCoverage",
    "Recorder", "RuleSetCoverage", "ScenarioRun", "compute", "render_text", "repository_paths", "report_data",
]

COVERAGE_FORMAT = "greencert/bdd-coverage@1"
# The pytest run and `greencert features` talk through these: rule paths to load, feature paths to run,
# and where to write the coverage file.
ENV_PATHS = "GREENCERT_BDD_PATHS"
ENV_FEATURES = "GREENCERT_FEATURES"
ENV_COVERAGE = "GREENCERT_BDD_COVERAGE"

DEFINITION = (
    "a scenario exercises a verdict when (1) it evaluated an application, (2) one of its Then steps checked that "
    "item's verdict, (3) the scenario passed and (4) for a passing verdict, the evidence it rests on was stated by "
    "the scenario, not filled in by `every other criterion is met` / `every basic requirement is met`. "
    "A criterion with a shipped limit is covered when some scenario exercised `pass` and some scenario exercised "
    "`fail`, `missing` or `not_acceptable`; a criterion without a shipped limit when some scenario exercised "
    "`undetermined`. A basic requirement: `pass` and one of `missing`, `not_acceptable`, `fail`. The factory "
    "inspection: `pass` and one of `fail`, `missing`, `pending`. A full, partial or tier label that the shipped "
    "limits can make eligible: `eligible` and one of `not_eligible`, `undetermined`; one they cannot (a member "
    "criterion without a shipped limit applies in every certification unit): `undetermined` or `not_eligible`. "
    "A grade label: every grade that has a limit awarded (the label eligible with that grade), and `not_eligible` "
    "or `undetermined`."
)

_NEGATIVE = {
    "criterion": ("fail", "missing", "not_acceptable"),
    "basic_requirement": ("missing", "not_acceptable", "fail"),
    "factory_inspection": ("fail", "missing", "pending"),
    "label": ("not_eligible", "undetermined"),
}


def repository_paths() -> list[Path] | None:
    """The catalogue and rule paths the features run against (`greencert features --rules/--catalog`)."""
    raw = os.environ.get(ENV_PATHS)
    if not raw:
        return None
    return [Path(p) for p in raw.split(os.pathsep) if p]


@dataclass(frozen=True)
class Exercised:
    """One verdict a passing scenario checked (`verdict` is a label status or `grade:<id>` for labels)."""

    ruleset: str
    kind: str  # criterion | basic_requirement | factory_inspection | label
    item: str
    verdict: str
    scenario: str


@dataclass
class ScenarioRun:
    ref: str  # file:line of the scenario, plus the example row of an outline
    name: str
    feature: str
    line: int
    outcome: str  # passed | failed | skipped
    message: str | None = None
    exercised: list[tuple[str, str, str, str]] = field(default_factory=list)  # ruleset, kind, item, verdict


class Recorder:
    """Collects what each scenario exercised during a pytest run; only passing scenarios count."""

    def __init__(self) -> None:
        self.scenarios: list[ScenarioRun] = []

    def add(self, run: ScenarioRun) -> None:
        self.scenarios.append(run)

    def exercised(self) -> list[Exercised]:
        return [Exercised(r, k, i, v, s.ref) for s in self.scenarios if s.outcome == "passed"
                for (r, k, i, v) in s.exercised]


@dataclass
class ItemCoverage:
    kind: str
    id: str
    needs: list[list[str]]  # every inner list must have one verdict seen
    seen: dict[str, list[str]]  # verdict -> scenario refs

    @property
    def lacking(self) -> list[list[str]]:
        return [alternatives for alternatives in self.needs if not any(v in self.seen for v in alternatives)]

    @property
    def covered(self) -> bool:
        return not self.lacking

    def describe_lacking(self) -> str:
        parts = []
        for alternatives in self.lacking:
            words = [a.replace("grade:", "grade ") for a in alternatives]
            parts.append(" or ".join(f"`{w}`" for w in words))
        return "no passing scenario checks " + "; none checks ".join(parts)


@dataclass
class RuleSetCoverage:
    id: str
    category: str
    standard: str
    items: list[ItemCoverage]

    @property
    def covered(self) -> int:
        return sum(1 for i in self.items if i.covered)

    @property
    def complete(self) -> bool:
        return self.covered == len(self.items)


def _label_needs(label: Label, rs: RuleSet, category: Category | None) -> list[list[str]]:
    if label.kind == "grade":
        grades = [[f"grade:{g.id}"] for g in label.grades or () if g.requirement.has_limit]
        return grades + [list(_NEGATIVE["label"])]
    if category is not None and not _can_be_eligible(label, rs, category):
        return [list(_NEGATIVE["label"])]
    return [["eligible"], list(_NEGATIVE["label"])]


def _can_be_eligible(label: Label, rs: RuleSet, category: Category) -> bool:
    """Whether the shipped limits let the label be eligible in some certification unit (docs/semantics.md §5).

    A criterion applies in a unit unless its `applies_when` names other units; one that also depends on
    parameters is taken as avoidable, so this errs on the side of asking for an `eligible` scenario."""
    attribute = {i.id: i.attribute for i in category.indicators}

    def member(c: Criterion) -> bool:
        return label.kind == "full" or label.kind == "tier" or (c.attribute or attribute.get(c.indicator)) == label.attribute

    units: list[str | None] = [u.id for u in category.certification_units] or [None]
    for unit in units:
        applying = [c for c in rs.criteria if member(c) and (
            c.applies_when is None or c.applies_when.certification_units is None
            or unit in c.applies_when.certification_units)]
        certain = [c for c in applying if not (c.applies_when and c.applies_when.parameters)]
        required = [c for c in certain if not c.optional]
        if label.kind == "partial" and not applying:
            continue
        if any(not c.requirement.has_limit for c in required):
            continue
        if label.kind == "tier":
            optional = [c for c in certain if c.optional]
            limited = [c for c in optional if c.requirement.has_limit]
            if len(limited) + 1e-9 < (label.optional_share or 0.0) * len(optional):
                continue
        return True
    return False


def _items(rs: RuleSet, category: Category | None = None) -> list[ItemCoverage]:
    items: list[ItemCoverage] = []
    for c in rs.criteria:
        needs = [["pass"], list(_NEGATIVE["criterion"])] if c.requirement.has_limit else [["undetermined"]]
        items.append(ItemCoverage("criterion", c.id, needs, {}))
    for b in rs.basic_requirements:
        items.append(ItemCoverage("basic_requirement", b.id, [["pass"], list(_NEGATIVE["basic_requirement"])], {}))
    if rs.factory_inspection is not None and rs.factory_inspection.required:
        items.append(ItemCoverage("factory_inspection", "factory_inspection",
                                  [["pass"], list(_NEGATIVE["factory_inspection"])], {}))
    for lab in rs.labels:
        items.append(ItemCoverage("label", lab.id, _label_needs(lab, rs, category), {}))
    return items


def compute(repo: Repository, exercised: Iterable[Exercised]) -> list[RuleSetCoverage]:
    """Coverage of every rule set the repository holds (a rule set no scenario touched is 0% covered)."""
    out: dict[str, RuleSetCoverage] = {}
    index: dict[tuple[str, str, str], ItemCoverage] = {}
    for rid, rs in repo.rulesets.items():
        cov = RuleSetCoverage(rid, rs.category, rs.standard, _items(rs, repo.categories.get(rs.category)))
        out[rid] = cov
        for entry in cov.items:
            index[(rid, entry.kind, entry.id)] = entry
    for e in exercised:
        item = index.get((e.ruleset, e.kind, e.item))
        if item is None:
            continue  # an item an overlay added: not part of the shipped rule set
        refs = item.seen.setdefault(e.verdict, [])
        if e.scenario not in refs:
            refs.append(e.scenario)
    return [out[k] for k in sorted(out)]


def report_data(coverage: Sequence[RuleSetCoverage], scenarios: Sequence[ScenarioRun],
                errors: Sequence[str] = ()) -> dict[str, Any]:
    total = sum(len(c.items) for c in coverage)
    covered = sum(c.covered for c in coverage)
    return {
        "format": COVERAGE_FORMAT,
        "definition": DEFINITION,
        "complete": not errors and all(c.complete for c in coverage),
        "errors": list(errors),
        "totals": {"rulesets": len(coverage), "rulesets_complete": sum(1 for c in coverage if c.complete),
                   "items": total, "covered": covered, "percent": _percent(covered, total)},
        "scenarios": {
            "total": len(scenarios),
            "passed": sum(1 for s in scenarios if s.outcome == "passed"),
            "failed": sum(1 for s in scenarios if s.outcome == "failed"),
            "list": [{"ref": s.ref, "name": s.name, "feature": s.feature, "line": s.line, "outcome": s.outcome,
                      "message": s.message,
                      "exercised": [{"ruleset": r, "kind": k, "item": i, "verdict": v} for r, k, i, v in s.exercised]}
                     for s in scenarios],
        },
        "rulesets": [{
            "id": c.id, "category": c.category, "standard": c.standard, "items": len(c.items), "covered": c.covered,
            "percent": _percent(c.covered, len(c.items)), "complete": c.complete,
            "uncovered": [{"kind": i.kind, "id": i.id, "lacking": i.lacking, "explanation": i.describe_lacking()}
                          for i in c.items if not i.covered],
            "detail": [{"kind": i.kind, "id": i.id, "covered": i.covered, "needs": i.needs, "seen": i.seen}
                       for i in c.items],
        } for c in coverage],
    }


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def render_text(data: dict[str, Any]) -> str:
    """The coverage report an author reads, from the same data the JSON file holds."""
    lines = ["criterion coverage (definition: docs/authoring.md, section `Reading the coverage report`)"]
    for err in data.get("errors", []):
        lines.append(f"error: {err}")
    for rs in data["rulesets"]:
        mark = "ok" if rs["complete"] else "NOT COVERED"
        lines.append(f"{rs['id']} ({rs['standard']}): {rs['covered']}/{rs['items']} items covered "
                     f"({rs['percent']:g}%) {mark}")
        for item in rs["uncovered"]:
            lines.append(f"  {item['kind'].replace('_', ' ')} `{item['id']}`: {item['explanation']}")
    t = data["totals"]
    s = data["scenarios"]
    lines.append(f"total: {t['covered']}/{t['items']} items covered ({t['percent']:g}%) in {t['rulesets']} rule set(s), "
                 f"{t['rulesets_complete']} fully covered; scenarios: {s['passed']} passed, {s['failed']} failed")
    return "\n".join(lines)


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
