"""Edition impact: what a new edition does to a certificate, read from the decision its application gets under it.

Pure: a decision (or the diagnostics that say why there is none) in, a verdict out. `keep` — granted; `lose` —
refused, with the criteria (and basic requirements, factory inspection) that fail and by how much; `undetermined`
— incomplete (the evidence or limits that are missing) or not evaluable under that edition (the diagnostics).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .decision import Decision
from .diagnostics import Diagnostic

__all__ = ["CertificateImpact", "classify", "classify_result", "summarize", "VERDICTS"]

VERDICTS = ("keep", "lose", "undetermined")


@dataclass(frozen=True)
class CertificateImpact:
    number: str
    verdict: str  # keep | lose | undetermined
    outcome: str | None  # the decision's outcome under the new edition (None: no decision)
    ruleset_id: str | None
    failing: tuple[dict[str, Any], ...] = ()  # {id, requirement, measured, unit, margin, margin_relative}
    missing: tuple[str, ...] = ()  # the evidence or limits missing
    diagnostics: tuple[dict[str, Any], ...] = ()

    def with_number(self, number: str) -> CertificateImpact:
        return dataclasses.replace(self, number=number)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "verdict": self.verdict, "outcome": self.outcome, "ruleset_id": self.ruleset_id,
                "failing": list(self.failing), "missing": list(self.missing), "diagnostics": list(self.diagnostics)}


def classify(number: str, decision: Decision | None, diagnostics: Sequence[Diagnostic] = ()) -> CertificateImpact:
    if decision is None:
        return CertificateImpact(number, "undetermined", None, None,
                                 diagnostics=tuple({"code": d.code, "message": d.message, "field": d.field}
                                                   for d in diagnostics))
    # read from the records, not from `to_dict()` (which would build the whole answer for each certificate)
    failing: list[dict[str, Any]] = []
    missing: list[str] = []
    for c in decision.criteria:
        if c.verdict == "fail":
            m = c.measured
            failing.append({"id": c.id, "requirement": c.requirement, "measured": m.value if m else None,
                            "unit": m.unit if m else None, "margin": c.margin, "margin_relative": c.margin_relative})
        elif c.verdict not in ("pass", "not_applicable") and not c.optional:
            missing.append(f"criterion {c.id}: {c.reason or c.verdict}")
    for b in decision.basic_requirements:
        if b.verdict == "fail":
            failing.append({"id": f"basic:{b.id}", "requirement": b.clause, "measured": None, "unit": None,
                            "margin": None, "margin_relative": None})
    factory = decision.factory_inspection
    if factory is not None and factory.verdict == "fail":
        failing.append({"id": "factory_inspection", "requirement": factory.clause, "measured": None, "unit": None,
                        "margin": None, "margin_relative": None})
    missing.extend(f"evidence {m.ref}" for m in decision.missing_evidence if m.ref)
    verdict = {"granted": "keep", "refused": "lose"}.get(decision.outcome, "undetermined")
    return CertificateImpact(number, verdict, decision.outcome, decision.ruleset_id,
                             tuple(failing) if verdict == "lose" else (),
                             tuple(dict.fromkeys(missing)) if verdict == "undetermined" else ())


def classify_result(result: Any) -> CertificateImpact:
    """`classify` of an `engine.parallel.ItemResult`, numbered later (`with_number`): run in the worker by
    `ParallelEvaluator.evaluate_reduced`, so that only the verdict crosses back, not the decision."""
    return classify("", result.decision, result.diagnostics)


def summarize(items: Iterable[CertificateImpact], *, top: int = 10) -> dict[str, Any]:
    """How many keep, lose, cannot be decided; the criteria causing most losses; the most frequent gaps."""
    counts: Counter[str] = Counter({v: 0 for v in VERDICTS})
    losses: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    total = 0
    for item in items:
        total += 1
        counts[item.verdict] += 1
        losses.update({f["id"] for f in item.failing})
        gaps.update(item.missing or tuple(d["code"] for d in item.diagnostics))
    return {"certificates": total, "counts": {v: counts[v] for v in VERDICTS},
            "criteria_causing_losses": [{"id": k, "certificates": n} for k, n in losses.most_common(top)],
            "undetermined_because": [{"what": k, "certificates": n} for k, n in gaps.most_common(top)]}
