"""Seeded generator of intake-valid applications for any loaded rule set, aimed at every branch of the semantics."""

# Nothing here is category-specific: every value is derived from the rule set and its catalogue entry
# (limits, units, applies_when/defined_by conditions, evidence policies, labels). An application is
# generated from `random.Random(f"{ruleset.id}#{seed}")`, so (rule set id, seed) reproduces it exactly.

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.models import Category, Condition, Criterion, Indicator, Requirement, RuleSet
from engine.units import conversion, parse_unit
from tests.support.reference_evaluator import condition_holds, select_edition_reference

__all__ = ["GeneratedApp", "AppGenerator", "UNIT_POOL"]

# Units a laboratory might report in; each limit's convertible and non-convertible alternatives are drawn
# from here (plus the limit's and the indicator's own units).
UNIT_POOL = (
    "mg/kg", "g/kg", "%", "‰", "ppm", "µg/g", "mg/g", "1", "mg/L", "g/L", "µg/L", "mg/m^3", "mg/m³", "µg/m^3",
    "g/m^3", "kg/m^3", "g/cm^3", "kgce/t", "MJ/t", "kWh/t", "GJ/t", "kgce/m^2", "MJ/m^2", "kWh", "MJ", "kgce",
    "L", "mL", "m^3", "kg", "g", "t", "m", "mm", "cm", "m^2", "W", "kW", "W/(m*K)", "mW/(m*K)", "degC", "K",
    "GU", "h", "d", "Pa", "kPa", "MPa", "N/mm^2", "L/kg", "m^3/t", "kg/t", "mg/(m^2*h)", "g/m^2", "kg/m^2",
)
# §0 makes aliases case-insensitive too, but intake matches an alias only as written (or all lowercase):
# `Pb` is accepted, `PB` and `pb` are rejected (test_evaluator_cases.test_alias_in_another_case_is_accepted).
# Turn this on once intake resolves aliases case-insensitively.
ALIAS_CASE_VARIANTS = True
_QUALIFICATIONS = ("CMA", "CNAS", "ISO17025")
_DEFAULT_MAX_AGE = 365


@dataclass(frozen=True)
class GeneratedApp:
    seed: int
    ruleset_id: str
    as_of: dt.date
    unit: str | None  # the certification unit the product was generated for
    data: dict[str, Any]  # the application as JSON data (dates as ISO strings)
    tags: frozenset[str]  # which generation branches this application took


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _around(x: float) -> list[float]:
    """A number, its floating-point neighbours and values clearly on either side."""
    out = [x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), x - 1, x + 1, x * 0.5, x * 1.5]
    if x == int(x) and abs(x) < 1e15:
        out.append(int(x))
    return [v for v in out if math.isfinite(v)]


@dataclass(frozen=True)
class _Anchor:
    criterion: int | None  # index of the criterion whose number this is; None for a grade's
    unit: str
    values: list[float]  # at, just inside, just outside the number(s)
    nd: list[float]  # detection limits around them (positive)
    good: list[tuple[str, float]]  # ("value" | "nd", number) that clearly pass


def _targets(req: Requirement) -> tuple[list[float], list[float], list[tuple[str, float]]]:
    """Values at, just inside and just outside every number of a requirement; positive detection limits;
    a few values that clearly pass it."""
    numbers: list[float] = []
    if req.op == "between" and req.low is not None and req.high is not None:
        numbers = [float(req.low), float(req.high)]
    elif isinstance(req.value, (int, float)) and not isinstance(req.value, bool):
        numbers = [float(req.value)]
    if not numbers:
        good: list[tuple[str, float]] = [("nd", 0.5)] if req.op == "not_detected" else []
        return [0.0, 0.5, 7.0, 120.0], [0.5, 5.0], good
    values: list[float] = [0.0]
    for x in numbers:
        values += _around(x)
    if len(numbers) == 2:
        values.append((numbers[0] + numbers[1]) / 2)
    nd = [v for v in values if v > 0] + [x / 10 for x in numbers if x > 0]
    x = numbers[0]
    good = {
        "lte": [("value", x * 0.5), ("value", x)] + ([("nd", x / 10)] if x > 0 else []),
        "lt": [("value", x * 0.5)] + ([("nd", x / 10), ("nd", x)] if x > 0 else []),
        "gte": [("value", x * 1.5 if x > 0 else x + 1), ("value", x)],
        "gt": [("value", x * 1.5 if x > 0 else x + 1)],
        "eq": [("value", x)],
        "between": [("value", (numbers[0] + numbers[-1]) / 2), ("value", numbers[0]), ("value", numbers[-1])],
        "not_detected": [("nd", x / 10), ("nd", x)] if x > 0 else [],
    }.get(req.op, [])
    return values, nd or [0.5], good


def _applies(c: Criterion, unit: str | None, params: dict[str, Any]) -> bool:
    when = c.applies_when
    if when is None:
        return True
    if when.certification_units is not None and unit not in when.certification_units:
        return False
    return all(pid in params and condition_holds(cond, params[pid]) for pid, cond in when.parameters.items())


def _conditions(cond: Condition) -> list[tuple[str, Any]]:
    return [(op, getattr(cond, op)) for op in ("lte", "lt", "gte", "gt", "eq", "between", "one_of")
            if getattr(cond, op) is not None]


class AppGenerator:
    """Applications for one rule set; `editions` are all rule sets of its category (for edition choice)."""

    def __init__(self, ruleset: RuleSet, category: Category, editions: Sequence[RuleSet] | None = None,
                 *, alias_case: bool = ALIAS_CASE_VARIANTS):
        self.rs = ruleset
        self.alias_case = alias_case
        self.cat = category
        self.editions = tuple(editions) if editions else (ruleset,)
        self.indicators = {i.id: i for i in category.indicators}
        self.units = list(category.certification_units)
        self.params = {p.id: p for p in category.parameters}
        defaults = ruleset.evidence_defaults
        self.policies: list[tuple[frozenset[str], int, bool]] = []
        for c in ruleset.criteria:
            own = c.evidence
            labs = (own.laboratory if own and own.laboratory else None) or defaults.laboratory or ("CMA",)
            age = (own.max_age_days if own and own.max_age_days else None) or defaults.max_age_days or _DEFAULT_MAX_AGE
            same = own.same_model if own and own.same_model is not None else (
                defaults.same_model if defaults.same_model is not None else True)
            self.policies.append((frozenset(labs), age, same))
        self.min_age = min((a for _, a, _ in self.policies), default=_DEFAULT_MAX_AGE)
        self.ages = sorted({a for _, a, _ in self.policies} | {_DEFAULT_MAX_AGE})
        self.param_values = self._parameter_candidates()
        # indicators that take test results, with the criteria reading them
        self.result_criteria: dict[str, list[int]] = {}
        for i, c in enumerate(ruleset.criteria):
            if self.indicators[c.indicator].kind != "document":
                self.result_criteria.setdefault(c.indicator, []).append(i)
        for lab in ruleset.labels:
            if lab.kind == "grade" and lab.indicator and self.indicators[lab.indicator].kind != "document":
                self.result_criteria.setdefault(lab.indicator, [])
        # `ratio_lte` divides by a second indicator, which takes results too: denominator id -> criteria reading it
        self.denominators: dict[str, list[int]] = {}
        for i, c in enumerate(ruleset.criteria):
            if c.requirement.op == "ratio_lte" and c.requirement.operands:
                self.denominators.setdefault(c.requirement.operands[0], []).append(i)
                self.result_criteria.setdefault(c.requirement.operands[0], [])
        self.other_indicators = [i.id for i in category.indicators
                                 if i.kind != "document" and i.id not in self.result_criteria]
        self.documents = sorted({c.indicator for c in ruleset.criteria if self.indicators[c.indicator].kind == "document"})
        self.declarations = sorted({b.proof.declaration for b in ruleset.basic_requirements if b.proof.declaration}
                                   | set(self.documents))
        self.certificates = [b.proof.certificate for b in ruleset.basic_requirements if b.proof.certificate]
        self._alt: dict[str, tuple[list[str], list[str]]] = {}
        self._anchor_cache: dict[str, list[_Anchor]] = {}
        self.grade_labels = [lab.id for lab in ruleset.labels if lab.kind == "grade"]
        self.bands = self._grade_bands()
        self.names = {i.id: self._name_variants(i) for i in category.indicators}
        f = ruleset.in_force
        self.first_day = f.from_
        if f.accepted_until is not None:
            self.last_day = f.accepted_until
        elif f.until is not None:
            self.last_day = f.until - dt.timedelta(days=1)
        else:
            self.last_day = f.from_ + dt.timedelta(days=12 * 365)

    # ------------------------------------------------------------------ static candidates
    def _parameter_candidates(self) -> dict[str, list[Any]]:
        conds: dict[str, list[Condition]] = {}
        for u in self.units:
            for pid, cond in u.defined_by.items():
                conds.setdefault(pid, []).append(cond)
        for c in self.rs.criteria:
            if c.applies_when:
                for pid, cond in c.applies_when.parameters.items():
                    conds.setdefault(pid, []).append(cond)
        out: dict[str, list[Any]] = {}
        self.thresholds: dict[str, set[float]] = {}
        for pid, cs in conds.items():
            for cond in cs:
                for op, arg in _conditions(cond):
                    args = arg if op in ("between", "one_of") else (arg,)
                    self.thresholds.setdefault(pid, set()).update(
                        float(a) for a in args if isinstance(a, (int, float)) and not isinstance(a, bool))
        for pid, p in self.params.items():
            values: list[Any] = []
            if p.type == "number":
                values += [0, 1.5, 37]
                for cond in conds.get(pid, []):
                    for op, arg in _conditions(cond):
                        if op == "between":
                            values += _around(float(arg[0])) + _around(float(arg[1])) + [(arg[0] + arg[1]) / 2]
                        elif op == "one_of":
                            for v in arg:
                                if isinstance(v, (int, float)) and not isinstance(v, bool):
                                    values += _around(float(v))
                        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
                            values += _around(float(arg))
            elif p.type == "choice":
                values += list(p.choices or ())
            elif p.type == "boolean":
                values += [True, False]
            else:
                values += ["generated text", "其他"]
                for cond in conds.get(pid, []):
                    for op, arg in _conditions(cond):
                        if op == "eq" and isinstance(arg, str):
                            values.append(arg)
                        elif op == "one_of":
                            values += [v for v in arg if isinstance(v, str)]
            out[pid] = values
        return out

    def _name_variants(self, ind: Indicator) -> list[tuple[str, str]]:
        """(name, how) — ids, aliases, Chinese and English names in several cases (§0: case-insensitive)."""
        out = [(ind.id, "id"), (ind.id.upper(), "id_case"), (ind.name.zh, "zh"), (ind.name.en, "en"),
               (ind.name.en.lower(), "en_case"), (ind.name.en.upper(), "en_case")]
        for a in ind.aliases:
            out.append((a, "alias"))
            if self.alias_case:
                out += [(a.lower(), "alias_case"), (a.upper(), "alias_case")]
        return out

    def alternatives(self, limit_unit: str) -> tuple[list[str], list[str]]:
        """(convertible, not convertible) reporting units for a limit unit."""
        got = self._alt.get(limit_unit)
        if got is not None:
            return got
        pool = list(dict.fromkeys((limit_unit, *(i.unit for i in self.cat.indicators if i.unit), *UNIT_POOL)))
        same, other = [], []
        for u in pool:
            try:
                parse_unit(u)
            except Exception:  # noqa: BLE001 - a pool unit this pint build does not know is simply not used
                continue
            try:
                conversion(u, limit_unit)
            except Exception:  # noqa: BLE001 - IncompatibleUnits, or a unit pint cannot relate at all
                other.append(u)
            else:
                if u != limit_unit:
                    same.append(u)
        self._alt[limit_unit] = (same, other)
        return same, other

    # ------------------------------------------------------------------ one application
    def generate(self, seed: int) -> GeneratedApp:
        rng = random.Random(f"{self.rs.id}#{seed}")
        tags: set[str] = set()
        noise = rng.choice((0.0, 0.0, 0.05, 0.15, 0.3, 0.6))
        as_of = self._as_of(rng, tags)
        data: dict[str, Any] = {"format": "greencert/application@1", "id": f"GEN-{seed}", "category": self.cat.id}
        default = select_edition_reference(list(self.editions), as_of)
        if default is not self.rs or rng.random() < 0.15:
            data["edition"] = rng.choice((self.rs.id, self.rs.standard))
            tags.add("edition_named")
        unit = rng.choice(self.units) if self.units else None
        params, named = self._parameters(rng, unit, tags)
        tags.add(f"unit={unit.id if unit else None}")
        if named and unit is not None:
            data["certification_unit"] = unit.id
        model = rng.choice(("LW-2100 哑光内墙乳胶漆", "GC-7", "Model X1", "板材-A"))
        data["product"] = {"model": model, "name": "generated product", "parameters": params}
        evidence: dict[str, Any] = {}
        reports = self._reports(rng, noise, as_of, model, unit.id if unit else None, params, tags)
        if reports:
            evidence["test_reports"] = reports
        fi = self._inspection(rng, noise, as_of, tags)
        if fi is not None:
            evidence["factory_inspection"] = fi
        certs = self._certificates(rng, noise, as_of, tags)
        if certs:
            evidence["certificates"] = certs
        decls = self._declarations(rng, noise, tags)
        if decls:
            evidence["declarations"] = decls
        data["evidence"] = evidence
        if self.grade_labels and rng.random() < 0.12:
            data["scope"] = [rng.choice(self.grade_labels)]  # a grade label asked for on its own
            tags.add("scope_grade_only")
        elif rng.random() < 0.45 and self.rs.labels:
            k = rng.randint(1, len(self.rs.labels))
            data["scope"] = [lab.id for lab in rng.sample(list(self.rs.labels), k)]
            tags.add("scope_given")
        return GeneratedApp(seed, self.rs.id, as_of, unit.id if unit else None, data, frozenset(tags))

    def _as_of(self, rng: random.Random, tags: set[str]) -> dt.date:
        span = (self.last_day - self.first_day).days
        r = rng.random()
        if r < 0.05:
            tags.add("as_of_first_day")
            return self.first_day
        if r < 0.1:
            tags.add("as_of_last_day")
            return self.last_day
        return self.first_day + dt.timedelta(days=rng.randint(0, max(span, 0)))

    def _parameters(self, rng: random.Random, unit: Any, tags: set[str]) -> tuple[dict[str, Any], bool]:
        needed: set[str] = set()
        for c in self.rs.criteria:
            when = c.applies_when
            if when and (when.certification_units is None or (unit is not None and unit.id in when.certification_units)):
                needed.update(when.parameters)
        defined = unit.defined_by if unit is not None else {}
        params: dict[str, Any] = {}
        for pid, values in self.param_values.items():
            cond = defined.get(pid)
            pool = [v for v in values if cond is None or condition_holds(cond, v)]
            if not pool:
                raise ValueError(f"no generated value of `{pid}` fits unit `{unit.id}`")
            if pid not in needed and rng.random() < 0.15:
                continue  # an optional parameter left out
            params[pid] = rng.choice(pool)
            if params[pid] in self.thresholds.get(pid, ()) and not isinstance(params[pid], bool):
                tags.add("parameter_at_boundary")
        if unit is None:
            return params, False
        # leave the unit unnamed only when both readings of §0 (a unit with no `defined_by` matches
        # vacuously, or never) find exactly this one unit
        vacuous = [u.id for u in self.units if all(pid in params and condition_holds(cond, params[pid])
                                                       for pid, cond in u.defined_by.items())]
        strict = [u for u in vacuous if any(x.id == u and x.defined_by for x in self.units)]
        if vacuous == [unit.id] and strict == [unit.id] and rng.random() < 0.5:
            tags.add("unit_inferred")
            return params, False
        tags.add("unit_named")
        return params, True

    # ------------------------------------------------------------------ test reports
    def _report_meta(self, rng: random.Random, noise: float, as_of: dt.date, model: str, tags: set[str],
                     tie_with: dt.date | None = None) -> dict[str, Any]:
        if tie_with is not None:
            issued = tie_with
            tags.add("report_tie")
        elif rng.random() < noise:
            kind = rng.choice(("future", "future_1", "expired", "expired_edge", "age_edge"))
            age = rng.choice(self.ages)
            issued = {
                "future": as_of + dt.timedelta(days=rng.randint(2, 60)),
                "future_1": as_of + dt.timedelta(days=1),
                "expired": as_of - dt.timedelta(days=age + rng.randint(2, 400)),
                "expired_edge": as_of - dt.timedelta(days=age + 1),
                "age_edge": as_of - dt.timedelta(days=age),
            }[kind]
            tags.add("report_" + kind)
        else:
            issued = as_of - dt.timedelta(days=rng.choice((0, rng.randint(0, self.min_age), self.min_age)))
        if rng.random() < noise:
            quals = rng.sample(_QUALIFICATIONS, rng.randint(0, 2))
            tags.add("lab_random")
        else:
            quals = list(_QUALIFICATIONS) if rng.random() < 0.5 else sorted(
                {rng.choice(sorted(lab)) for lab, _, _ in self.policies} or {"CMA"})
        other = rng.random() < noise
        if other:
            tags.add("other_model")
        return {"laboratory": {"name": rng.choice(("广东省质检院", "Lab B", "SGS-CSTC")), "qualifications": quals},
                "issued": issued, "model": model + "-B" if other else model}

    def _reports(self, rng: random.Random, noise: float, as_of: dt.date, model: str, unit: str | None,
                 params: dict[str, Any], tags: set[str]) -> list[dict[str, Any]]:
        indicators = list(self.result_criteria)
        if not indicators:
            return []
        applicable = {i for i, c in enumerate(self.rs.criteria) if _applies(c, unit, params)}
        reports: list[dict[str, Any]] = []
        count = rng.choice((1, 1, 1, 2, 2, 3, 4))
        if rng.random() < noise * 0.5:
            count = 0
            tags.add("no_reports")
        for k in range(count):
            tie = reports[0]["issued"] if reports and rng.random() < 0.15 else None
            meta = self._report_meta(rng, noise if k == 0 else max(noise, 0.35), as_of, model, tags, tie)
            results: list[dict[str, Any]] = []
            for iid in indicators:
                if rng.random() < (1.0 - 1.5 * noise if k == 0 else 0.4):
                    results.append(self._result(rng, iid, noise, applicable, tags))
                    if rng.random() < 0.05:
                        results.append(self._result(rng, iid, noise, applicable, tags))
                        tags.add("two_results_one_report")
            if self.other_indicators and rng.random() < 0.2:
                results.append(self._result(rng, rng.choice(self.other_indicators), noise, applicable, tags))
                tags.add("unevaluated_indicator")
            if not results:
                results.append(self._result(rng, rng.choice(indicators), noise, applicable, tags))
            rng.shuffle(results)
            reports.append({"id": f"R{k}", **meta, "results": results})
        if len(reports) > 1 and rng.random() < 0.3:
            rng.shuffle(reports)
            tags.add("reports_shuffled")
        for r in reports:
            r["issued"] = _iso(r["issued"])
        return reports

    def _anchors(self, iid: str) -> list[_Anchor]:
        """Every number a criterion or a grade on `iid` compares with, with values around it."""
        got = self._anchor_cache.get(iid)
        if got is not None:
            return got
        ind = self.indicators[iid]
        out = []
        for i in self.result_criteria.get(iid, []):
            req = self.rs.criteria[i].requirement
            if req.op == "ratio_lte":
                out.append(self._ratio_anchor(i, ind))
                continue
            out.append(_Anchor(i, req.unit or ind.unit or "1", *_targets(req)))
        for i in self.denominators.get(iid, []):
            # a denominator of 1 (in its unit) puts the numerator's values at the ratio's limit; 0 gives no ratio
            out.append(_Anchor(i, ind.unit or "1", [1.0, 1.0, 1.0, 0.5, 2.0, 0.0], [0.5, 1.0], [("value", 1.0)]))
        for lab in self.rs.labels:
            if lab.kind == "grade" and lab.indicator == iid:
                for g in lab.grades or ():
                    out.append(_Anchor(None, g.requirement.unit or ind.unit or "1", *_targets(g.requirement)))
        if not out:
            out.append(_Anchor(None, ind.unit or "1", [0.0, 0.01, 1.0, 50.0], [0.01, 1.0], []))
        self._anchor_cache[iid] = out
        return out

    def _ratio_anchor(self, i: int, ind: Indicator) -> _Anchor:
        """`ratio_lte`: the numerator's values (in its own unit) around the limit for a denominator of 1."""
        req = self.rs.criteria[i].requirement
        den = self.indicators[req.operands[0]]
        quotient = f"({ind.unit or 1})/({den.unit or 1})"
        k, _ = conversion(quotient, req.unit or quotient)
        values, nd, _ = _targets(req)
        good: list[tuple[str, float]] = []
        if isinstance(req.value, (int, float)) and not isinstance(req.value, bool):
            good = [("value", float(req.value) * 0.5 / k), ("value", float(req.value) / k)]
        return _Anchor(i, ind.unit or "1", [v / k for v in values], [v / k for v in nd if v > 0] or [0.5], good)

    def _grade_bands(self) -> dict[str, tuple[str, list[float]]]:
        """Per indicator, the bounds of its grade labels' upper-bound grades (`lte`, `lt`, `not_detected` with a
        number), in one unit: the detection limits that tell one grade from the next are around them."""
        out: dict[str, tuple[str, list[float]]] = {}
        for lab in self.rs.labels:
            if lab.kind != "grade" or not lab.indicator or self.indicators[lab.indicator].kind != "quantity":
                continue
            ind = self.indicators[lab.indicator]
            unit, bounds = out.get(lab.indicator, (ind.unit or "1", []))
            for g in lab.grades or ():
                req = g.requirement
                if req.op in ("lte", "lt", "not_detected") and isinstance(req.value, (int, float)) \
                        and not isinstance(req.value, bool):
                    factor, offset = conversion(req.unit or unit, unit)
                    bounds.append(float(f"{float(req.value) * factor + offset:.12g}"))
            if bounds:
                out[lab.indicator] = (unit, sorted(set(bounds)))
        return out

    def _grade_nd(self, rng: random.Random, name: str, iid: str, tags: set[str]) -> dict[str, Any]:
        """A not-detected result whose detection limit lies below every grade band, at a band's bound, just
        above it, between two bounds, or above every band."""
        unit, bounds = self.bands[iid]
        where = rng.choice(("below_all", "at", "just_above", "between", "above_all"))
        b = rng.choice(bounds)
        dl = {
            "below_all": bounds[0] / 2,
            "at": b,
            "just_above": math.nextafter(b, math.inf),
            "between": (b + next((x for x in bounds if x > b), b * 2)) / 2,
            "above_all": bounds[-1] * 1.5,
        }[where]
        if dl <= 0:  # a bound at zero: a detection limit must be positive
            dl, where = (bounds[-1] * 1.5 if bounds[-1] > 0 else 1.0), "above_all"
        tags.add("grade_nd_" + where)
        return {"indicator": name, "not_detected": True, "detection_limit": dl, "unit": unit}

    def _result(self, rng: random.Random, iid: str, noise: float, applicable: set[int],
                tags: set[str]) -> dict[str, Any]:
        """One result for `iid`: in a clean application (noise 0) usually one that passes an applicable
        criterion, otherwise a value at, just inside or just outside one of the numbers compared with; for an
        indicator with grades, sometimes a not-detected result around the grade bands."""
        ind = self.indicators[iid]
        name, how = rng.choice(self.names[iid]) if rng.random() < 0.5 else (iid, "id")
        tags.add("name_" + how)
        if iid in self.bands and rng.random() < 0.15:
            return self._grade_nd(rng, name, iid, tags)
        clean = noise == 0.0 and rng.random() < 0.9
        if ind.kind == "choice":
            good = self._good_choices(iid, applicable)
            if clean and good:
                return {"indicator": name, "value": rng.choice(good)}
            return {"indicator": name, "value": rng.choice(list(ind.choices or ()))}
        anchors = self._anchors(iid)
        if clean:
            preferred = [a for a in anchors if a.criterion in applicable and a.good]
            if preferred:
                a = rng.choice(preferred)
                kind, target = rng.choice(a.good)
                tags.add("clean_result")
                if kind == "nd":
                    return {"indicator": name, "not_detected": True, "detection_limit": target, "unit": a.unit}
                return {"indicator": name, "value": target, "unit": a.unit}
        anchor = rng.choice(anchors)
        limit_unit = anchor.unit
        same, _other = self.alternatives(limit_unit)
        r = rng.random()
        # a unit of another kind (`other`) is refused at intake (application_unit_error): not generated here
        if r < 0.4 and same:
            result_unit = rng.choice(same)
            tags.add("unit_converted")
        else:
            result_unit = limit_unit
        factor, offset = (1.0, 0.0) if result_unit == limit_unit else conversion(
            result_unit, limit_unit)
        mode = rng.random()
        if mode < 0.03 + noise * 0.05:
            tags.add("nd_without_limit")
            return {"indicator": name, "not_detected": True, "unit": result_unit}
        if mode < 0.3:
            target = rng.choice(anchor.nd)
            dl = self._express(rng, target, factor, offset, tags)
            if dl <= 0:
                dl, result_unit = target, limit_unit
            tags.add("nd")
            return {"indicator": name, "not_detected": True, "detection_limit": dl, "unit": result_unit}
        value = self._express(rng, rng.choice(anchor.values), factor, offset, tags)
        if value < 0 and self.indicators[iid].non_negative:
            value = 0.0  # a negative amount is refused at intake (application_value_error): the least one instead
        return {"indicator": name, "value": value, "unit": result_unit}

    def _good_choices(self, iid: str, applicable: set[int]) -> list[str]:
        ind = self.indicators[iid]
        good = set(ind.choices or ())
        for i in self.result_criteria.get(iid, []):
            req = self.rs.criteria[i].requirement
            if i in applicable and req.op == "one_of":
                good &= {str(v) for v in req.values or ()}
            elif i in applicable and req.op == "eq" and req.value is not None:
                good &= {str(req.value)}
        return sorted(good)

    @staticmethod
    def _express(rng: random.Random, target: float, factor: float, offset: float, tags: set[str]) -> float:
        """A value in the reporting unit whose conversion lands on (or, rounded as a lab would, near) `target`."""
        if factor == 1.0 and offset == 0.0:
            return target
        v = (target - offset) / factor
        if rng.random() < 0.5:
            v = float(f"{v:.12g}")
            tags.add("converted_rounded")
        return v

    # ------------------------------------------------------------------ basics and inspection
    def _inspection(self, rng: random.Random, noise: float, as_of: dt.date, tags: set[str]) -> dict[str, Any] | None:
        if rng.random() < noise * 0.3:
            tags.add("fi_none")
            return None
        if rng.random() >= noise * 1.5 + 0.05:
            tags.add("fi_pass")
            return {"outcome": "pass", "date": _iso(as_of - dt.timedelta(days=rng.randint(0, 200)))}
        kind = rng.choice(("pass", "fail", "ca_verified", "ca_verified_on", "ca_verified_on_today",
                           "ca_verified_later_pending", "ca_verified_later_overdue", "ca_pending", "ca_due_today",
                           "ca_overdue", "ca_overdue_1", "ca_no_details"))
        tags.add("fi_" + kind)
        if kind in ("pass", "fail"):
            return {"outcome": kind}
        if kind == "ca_no_details":
            return {"outcome": "corrective_action"}
        deadline = {
            "ca_pending": as_of + dt.timedelta(days=rng.randint(1, 90)),
            "ca_due_today": as_of,
            "ca_overdue": as_of - dt.timedelta(days=rng.randint(2, 90)),
            "ca_overdue_1": as_of - dt.timedelta(days=1),
            "ca_verified_later_pending": as_of + dt.timedelta(days=rng.randint(0, 30)),
            "ca_verified_later_overdue": as_of - dt.timedelta(days=rng.randint(1, 30)),
        }.get(kind, as_of + dt.timedelta(days=rng.randint(-60, 60)))
        ca: dict[str, Any] = {"deadline": _iso(deadline), "description": "fix the dust extraction"}
        if kind.startswith("ca_verified"):
            ca["verified"] = True
            if kind == "ca_verified_on":
                ca["verified_on"] = _iso(as_of - dt.timedelta(days=rng.randint(1, 60)))
            elif kind == "ca_verified_on_today":
                ca["verified_on"] = _iso(as_of)
            elif kind.startswith("ca_verified_later"):
                ca["verified_on"] = _iso(as_of + dt.timedelta(days=rng.randint(1, 30)))
        elif rng.random() < 0.5:
            ca["verified"] = False
        return {"outcome": "corrective_action", "corrective_action": ca}

    def _certificates(self, rng: random.Random, noise: float, as_of: dt.date, tags: set[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for std in self.certificates:
            count = 1
            if rng.random() < noise:
                count = rng.choice((0, 0, 1, 2, 3))
            for _ in range(count):
                out.append(self._certificate(rng, std, noise, as_of, tags))
            if count == 0:
                tags.add("cert_none")
        if self.certificates and rng.random() < 0.1:
            out.append({"standard": "ISO 50001:2018", "valid_until": _iso(as_of + dt.timedelta(days=100))})
        rng.shuffle(out)
        return out

    def _certificate(self, rng: random.Random, std: str, noise: float, as_of: dt.date, tags: set[str]) -> dict[str, Any]:
        spelling = rng.choice(("exact", "year", "nospace", "lower", "fullwidth", "padded")) \
            if rng.random() < 0.5 else "exact"
        if rng.random() < noise * 0.3:
            spelling = "truncated"
        tags.add("cert_" + spelling)
        text = {
            "exact": std, "year": std + "-2016", "nospace": std.replace(" ", ""), "lower": std.lower(),
            "fullwidth": std.replace(" ", "\u3000"), "padded": " " + std.replace(" ", "  ") + " ",
            "truncated": std[:-1],
        }[spelling]
        cert: dict[str, Any] = {"standard": text, "number": f"C-{rng.randint(1, 999)}"}
        state = rng.choice(("expired", "expired_1", "until_today", "future_start", "starts_today")) \
            if rng.random() < noise else "valid"
        tags.add("cert_" + state)
        until = {
            "valid": as_of + dt.timedelta(days=rng.randint(1, 1500)),
            "expired": as_of - dt.timedelta(days=rng.randint(2, 900)),
            "expired_1": as_of - dt.timedelta(days=1),
            "until_today": as_of,
            "future_start": as_of + dt.timedelta(days=rng.randint(30, 1500)),
            "starts_today": as_of + dt.timedelta(days=rng.randint(30, 1500)),
        }[state]
        cert["valid_until"] = _iso(until)
        if state == "future_start":
            cert["valid_from"] = _iso(as_of + dt.timedelta(days=rng.choice((1, 5))))
        elif state == "starts_today":
            cert["valid_from"] = _iso(as_of)
        elif rng.random() < 0.3:
            cert["valid_from"] = _iso(min(until, as_of) - dt.timedelta(days=rng.randint(0, 1000)))
        return cert

    def _declarations(self, rng: random.Random, noise: float, tags: set[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for d in self.declarations:
            if rng.random() < noise * 0.6:
                tags.add("declaration_missing")
                continue
            out.append({"id": d, "signed": "2024-01-01"})
        if rng.random() < 0.1:
            out.append({"id": "unrelated_statement"})
        rng.shuffle(out)
        return out
