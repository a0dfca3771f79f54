"""An application as a scenario describes it, built step by step into plain data with feature-file positions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from engine import (
    Category,
    Decision,
    Diagnostic,
    DiagnosticError,
    Indicator,
    Parameter,
    Pointer,
    Repository,
    RuleSet,
    SourceDocument,
    application_from_data,
    did_you_mean,
    resolve_unit,
)
from engine.ops import Bounds
from engine.units import IncompatibleUnits, UnitError, conversion, parse_unit

from .errors import StepFailure
from .values import ResultCell

__all__ = ["FILLER_PREFIX", "ApplicationDraft", "Fill", "ReportDraft", "Where"]

# Evidence the kit fills in ("every other criterion is met") carries this prefix in its id, so coverage can
# tell a verdict the scenario's own evidence decided from one the kit's filler decided.
FILLER_PREFIX = "kit:"
FILLER_REPORT_ID = FILLER_PREFIX + "results meeting every other criterion"
QUALIFICATIONS = ("CMA", "CNAS", "ISO17025")
DEFAULT_MODEL = "model under evaluation"
DEFAULT_LABORATORY = "the testing laboratory"


@dataclass(frozen=True)
class Where:
    """A position in the feature file (1-based; column None when only the line is known)."""

    line: int
    column: int | None = None


@dataclass
class ReportDraft:
    where: Where
    id: str | None = None
    issued: dt.date | None = None
    laboratory: str = DEFAULT_LABORATORY
    qualifications: list[str] = field(default_factory=lambda: ["CMA"])
    model: str | None = None
    results: list[tuple[dict[str, Any], dict[str, Where]]] = field(default_factory=list)
    positions: dict[str, Where] = field(default_factory=dict)


@dataclass
class Fill:
    """`every ... is met [except ...]`: where the author said it and what to leave out."""

    where: Where
    exclude: tuple[str, ...] = ()


class ApplicationDraft:
    """Everything the Given steps said; `evaluate` turns it into an application and runs the real pipeline
    (`application_from_data` -> `Repository.check`), with every diagnostic located in the feature file."""

    def __init__(self, repo: Repository, file: str, scenario: Where):
        self.repo = repo
        self.file = file
        self.scenario = scenario
        self.category: str | None = None
        self.as_of: dt.date | None = None
        self.top: dict[str, tuple[Any, Where]] = {}  # certification_unit, edition, scope, id
        self.product: dict[str, tuple[Any, Where]] = {}
        self.parameters: dict[str, tuple[Any, Where]] = {}
        self.reports: list[ReportDraft] = []
        self.inspection: tuple[dict[str, Any], Where] | None = None
        self.certificates: list[tuple[dict[str, Any], Where]] = []
        self.declarations: list[tuple[str, Where]] = []
        self.fill_basic: Fill | None = None
        self.fill_criteria: Fill | None = None
        self.fill_inspection: Where | None = None
        self.fill_all: Fill | None = None  # basic requirements, factory inspection and criteria at once
        self.filler_refs: set[tuple[str, str]] = set()
        self.inspection_filled = False

    # ------------------------------------------------------------------ lookups against the catalogue
    def category_model(self) -> Category:
        if self.category is None:
            raise StepFailure("bdd_missing_context", "no product category has been chosen yet",
                              hint="start the scenario (or the Background) with `Given the category is coatings`")
        return self.repo.categories[self.category]

    def resolve_category(self, name: str) -> str:
        cats = self.repo.categories
        for cid, cat in cats.items():
            if name in (cid, cat.name.zh) or name.lower() == cat.name.en.lower():
                return cid
        raise StepFailure("bdd_reference_error", f"unknown category `{name}`",
                          hint=did_you_mean(name, list(cats) + [c.name.zh for c in cats.values()])
                          or "no category is loaded")

    def parameter(self, name: str) -> Parameter:
        cat = self.category_model()
        for p in cat.parameters:
            if name in (p.id, p.name.zh) or name.lower() == p.name.en.lower():
                return p
        raise StepFailure("bdd_reference_error", f"unknown parameter `{name}` for `{cat.id}`",
                          hint=did_you_mean(name, [p.id for p in cat.parameters] + [p.name.zh for p in cat.parameters])
                          or f"`{cat.id}` has no product parameters")

    def indicator(self, name: str, where: Where | None = None) -> Indicator:
        """The catalogue indicator an author's name refers to: id, alias, Chinese or English name."""
        cat = self.category_model()
        known: dict[str, Indicator] = {}
        for ind in cat.indicators:  # the same names engine.intake resolves
            known[ind.id] = known[ind.name.zh] = known[ind.name.en.lower()] = ind
            for alias in ind.aliases:
                known[alias] = ind
        found = known.get(name) or known.get(name.lower())
        if found is not None:
            return found
        names = [i.id for i in cat.indicators] + [i.name.zh for i in cat.indicators]
        fix = did_you_mean(name, names)
        raise StepFailure("bdd_unknown_indicator", f"unknown indicator `{name}` for `{cat.id}`",
                          hint=(fix + "; " if fix else "") + "name an indicator by its id, an alias or its Chinese name "
                          "as listed in the category's catalogue file",
                          line=where.line if where else None, column=where.column if where else None)

    def ruleset(self, as_of: dt.date) -> RuleSet:
        category = self.category_model().id
        edition = self.top.get("edition")
        try:
            return self.repo.select(category, as_of, edition[0] if edition else None)
        except DiagnosticError as e:
            line = edition[1].line if edition else None
            raise StepFailure("bdd_reference_error", "", diagnostics=[
                Diagnostic(d.code, d.message, None, line, None, d.hint) for d in e.diagnostics]) from None

    def check_result(self, ind: Indicator, cell: ResultCell, unit: str | None, where_unit: Where,
                     where_value: Where) -> None:
        """The unit and value problems an author should hear about at the table row, not at evaluation."""
        if ind.kind == "document":
            raise StepFailure("bdd_value_error", f"`{ind.id}` is proved by a declaration, not a test result",
                              hint=f"write `Given the declaration {ind.id}` instead",
                              line=where_value.line, column=where_value.column)
        if ind.kind == "choice":
            if unit:
                raise StepFailure("bdd_unit_error", f"`{ind.id}` is a choice and takes no unit", hint="leave the unit empty",
                                  line=where_unit.line, column=where_unit.column)
            if ind.choices and cell.value not in ind.choices:
                raise StepFailure("bdd_value_error", f"`{cell.value}` is not a choice of `{ind.id}`",
                                  hint=did_you_mean(str(cell.value), ind.choices),
                                  line=where_value.line, column=where_value.column)
            return
        if not unit:
            raise StepFailure("bdd_unit_error", f"the result for `{ind.id}` needs a unit",
                              hint=f"the indicator is measured in `{ind.unit}`", line=where_unit.line,
                              column=where_unit.column)
        try:
            parse_unit(unit)
        except UnitError:
            raise StepFailure("bdd_unit_error", f"unknown unit `{unit}`",
                              hint=f"`{ind.id}` is measured in `{ind.unit}`; write that or a unit of the same kind",
                              line=where_unit.line, column=where_unit.column) from None
        if ind.unit:
            try:
                conversion(unit, ind.unit)
            except IncompatibleUnits:
                raise StepFailure("bdd_unit_error",
                                  f"unit `{unit}` cannot convert to `{ind.unit}`, the unit of `{ind.id}`",
                                  hint=f"give the value in `{ind.unit}` or a unit of the same kind",
                                  line=where_unit.line, column=where_unit.column) from None

    # ------------------------------------------------------------------ building
    def current_report(self) -> ReportDraft:
        if not self.reports:
            raise StepFailure("bdd_missing_context", "there is no test report yet",
                              hint="add `Given a test report issued on YYYY-MM-DD` first")
        return self.reports[-1]

    def _model(self) -> str:
        model = self.product.get("model")
        return str(model[0]) if model else DEFAULT_MODEL

    def build(self, as_of: dt.date) -> tuple[dict[str, Any], SourceDocument]:
        """The application as plain JSON-like data (what an API client would send) and its positions."""
        pos: dict[Pointer, tuple[int, int]] = {(): (self.scenario.line, 1)}

        def put(path: Pointer, where: Where) -> None:
            pos[path] = (where.line, where.column or 1)

        cat = self.category_model()
        data: dict[str, Any] = {"format": "greencert/application@1", "id": f"{self.file}:{self.scenario.line}",
                                "category": cat.id}
        for key in ("certification_unit", "edition", "scope", "id"):
            if key in self.top:
                value, where = self.top[key]
                data[key] = value
                put((key,), where)
        product: dict[str, Any] = {"model": self._model()}
        for key, (value, where) in self.product.items():
            product[key] = value
            put(("product", key), where)
        product["parameters"] = {pid: value for pid, (value, _) in self.parameters.items()}
        for pid, (_, where) in self.parameters.items():
            put(("product", "parameters", pid), where)
        data["product"] = product

        reports: list[dict[str, Any]] = []
        for i, r in enumerate(self.reports):
            base: Pointer = ("evidence", "test_reports", i)
            put(base, r.where)
            for key, where in r.positions.items():
                put(base + (key,), where)
            results = []
            for j, (result, where_map) in enumerate(r.results):
                results.append(result)
                for key, where in where_map.items():
                    put(base + ("results", j) + ((key,) if key else ()), where)
            reports.append({"id": r.id or f"report {i + 1}",
                            "laboratory": {"name": r.laboratory, "qualifications": list(r.qualifications)},
                            "issued": (r.issued or as_of).isoformat(), "model": r.model or self._model(),
                            "results": results})
        evidence: dict[str, Any] = {"test_reports": reports}
        if self.inspection is not None:
            evidence["factory_inspection"] = self.inspection[0]
            put(("evidence", "factory_inspection"), self.inspection[1])
        evidence["certificates"] = [c for c, _ in self.certificates]
        for k, (_, where) in enumerate(self.certificates):
            put(("evidence", "certificates", k), where)
        evidence["declarations"] = [{"id": d} for d, _ in self.declarations]
        for k, (_, where) in enumerate(self.declarations):
            put(("evidence", "declarations", k), where)
        data["evidence"] = evidence

        self.filler_refs = set()
        self.inspection_filled = False
        if self.fill_basic or self.fill_criteria or self.fill_inspection or self.fill_all:
            self._fill(data, as_of, put)
        return data, SourceDocument(self.file, data, pos, {})

    # ------------------------------------------------------------------ "every other ... is met"
    def _fill(self, data: dict[str, Any], as_of: dt.date, put: Any) -> None:
        rs = self.ruleset(as_of)
        evidence = data["evidence"]
        fill_basic, fill_criteria, fill_inspection = self.fill_basic, self.fill_criteria, self.fill_inspection
        if self.fill_all is not None:
            # one `except` list for everything: basic requirement ids, `factory inspection`, the rest criteria
            every = self.fill_all
            basic_ids = {b.id for b in rs.basic_requirements}
            no_inspection = [n for n in every.exclude if re.fullmatch(r"(the\s+)?factory[\s_]inspection", n, re.I)]
            basic_ex = tuple(n for n in every.exclude if n in basic_ids)
            fill_basic = fill_basic or Fill(every.where, basic_ex)
            fill_criteria = fill_criteria or Fill(every.where, tuple(n for n in every.exclude
                                                                    if n not in basic_ex and n not in no_inspection))
            if not no_inspection:
                fill_inspection = fill_inspection or every.where
        if fill_inspection is not None and "factory_inspection" not in evidence:
            evidence["factory_inspection"] = {"outcome": "pass"}
            put(("evidence", "factory_inspection"), fill_inspection)
            self.inspection_filled = True
        if fill_basic is not None:
            known = {b.id for b in rs.basic_requirements}
            _check_known(fill_basic, known, "basic requirement", rs)
            for b in rs.basic_requirements:
                if b.id in fill_basic.exclude:
                    continue
                if b.proof.certificate:
                    wanted = b.proof.certificate.replace(" ", "").upper()
                    if any(str(c["standard"]).replace(" ", "").upper().startswith(wanted)
                           for c in evidence["certificates"]):
                        continue
                    number = FILLER_PREFIX + b.id
                    evidence["certificates"].append({"standard": b.proof.certificate, "number": number,
                                                     "valid_until": _years_after(as_of, 3).isoformat()})
                    put(("evidence", "certificates", len(evidence["certificates"]) - 1), fill_basic.where)
                    self.filler_refs.add(("certificate", number))
                elif b.proof.declaration:
                    if any(d["id"] == b.proof.declaration for d in evidence["declarations"]):
                        continue
                    evidence["declarations"].append({"id": b.proof.declaration})
                    put(("evidence", "declarations", len(evidence["declarations"]) - 1), fill_basic.where)
                    self.filler_refs.add(("declaration", b.proof.declaration))
        if fill_criteria is not None:
            self._fill_criteria(data, rs, as_of, put, fill_criteria)

    def _fill_criteria(self, data: dict[str, Any], rs: RuleSet, as_of: dt.date, put: Any, fill: Fill) -> None:
        evidence = data["evidence"]
        excluded: set[str] = set()
        ids = {c.id: c.indicator for c in rs.criteria}
        for name in fill.exclude:
            if name in ids:
                excluded.add(ids[name])
                continue
            try:
                excluded.add(self.indicator(name).id)
            except StepFailure:
                raise StepFailure("bdd_reference_error", f"`{name}` is neither a criterion nor an indicator of "
                                  f"`{rs.id}`", hint=did_you_mean(name, list(ids)), line=fill.where.line) from None
        given = {self._given_indicator(str(r["indicator"])) for rep in evidence["test_reports"] for r in rep["results"]}
        declared = {d["id"] for d in evidence["declarations"]}
        app, _, diags = application_from_data(_jsonable(data), self.file)
        if app is None or diags:
            return  # evaluation reports these, located
        compiled = self.repo.compiled(rs.id)
        unit, _ = resolve_unit(compiled.category, app, SourceDocument(self.file, data, {}, {}))
        params = app.product.parameters
        constraints: dict[str, list[Any]] = {}
        for plan in compiled.criteria:
            ind = plan.indicator
            if plan.rule is None or ind.id in excluded or not plan.applies(unit, params):
                continue
            if ind.kind == "document":
                if ind.id not in declared:
                    evidence["declarations"].append({"id": ind.id})
                    declared.add(ind.id)
                    put(("evidence", "declarations", len(evidence["declarations"]) - 1), fill.where)
                    self.filler_refs.add(("declaration", ind.id))
                continue
            if ind.id in given:
                continue
            constraints.setdefault(ind.id, []).append(plan)
        results = []
        for iid, plans in constraints.items():
            result = _passing_result(iid, plans)
            if result is not None:
                results.append(result)
        if results:
            evidence["test_reports"].append({
                "id": FILLER_REPORT_ID, "laboratory": {"name": "kit filler", "qualifications": list(QUALIFICATIONS)},
                "issued": as_of.isoformat(), "model": data["product"]["model"], "results": results})
            put(("evidence", "test_reports", len(evidence["test_reports"]) - 1), fill.where)
            self.filler_refs.add(("test_report", FILLER_REPORT_ID))

    def _given_indicator(self, name: str) -> str:
        try:
            return self.indicator(name).id
        except StepFailure:
            return name

    # ------------------------------------------------------------------ the real pipeline
    def evaluate(self, as_of: dt.date | None = None) -> Decision:
        """Raise StepFailure(`application_rejected`) with every located diagnostic when intake refuses it."""
        day = as_of or self.as_of
        if day is None:
            raise StepFailure("bdd_missing_context", "no evaluation date has been given",
                              hint="add `Given the evaluation date is YYYY-MM-DD` (or `When the application is "
                                   "evaluated on YYYY-MM-DD`)")
        data, doc = self.build(day)
        app, _, diags = application_from_data(_jsonable(data), self.file)
        if app is None or diags:
            raise StepFailure("application_rejected", "", diagnostics=[_relocate(doc, d) for d in diags])
        try:
            return self.repo.check(app, doc, day)
        except DiagnosticError as e:
            raise StepFailure("application_rejected", "", diagnostics=[_relocate(doc, d) for d in e.diagnostics]) from None


def _check_known(fill: Fill, known: set[str], what: str, rs: RuleSet) -> None:
    for name in fill.exclude:
        if name not in known:
            raise StepFailure("bdd_reference_error", f"unknown {what} `{name}` in `{rs.id}`",
                              hint=did_you_mean(name, known), line=fill.where.line)


def _passing_result(iid: str, plans: list[Any]) -> dict[str, Any] | None:
    """A result meeting every applicable requirement on one indicator; None when no value can. Each operator
    narrows the allowed values (`Operator.narrow`, engine/ops); a value is then chosen inside them."""
    ind: Indicator = plans[0].indicator
    bounds = Bounds()
    if ind.kind == "choice":
        for p in plans:
            p.criterion.requirement.operator.narrow(p.criterion.requirement, float, bounds)
        return {"indicator": iid, "value": bounds.options[0]} if bounds.options else None
    unit = plans[0].unit or ind.unit or ""
    for p in plans:
        req = p.criterion.requirement
        factor, offset = conversion(p.unit or unit, unit) if (p.unit or unit) != unit else (1.0, 0.0)

        def conv(v: Any, f: float = factor, o: float = offset) -> float:
            return float(v) * f + o

        req.operator.narrow(req, conv, bounds)
    low, high = bounds.low, bounds.high
    if bounds.not_detected:
        cap = [x for x in (bounds.nd_max, high) if x is not None]
        dl = min(cap) / 2 if cap and min(cap) > 0 else 1.0
        return {"indicator": iid, "not_detected": True, "detection_limit": dl, "unit": unit}
    if bounds.exact is not None:
        value = bounds.exact
    elif low is not None and high is not None:
        value = (low + high) / 2
    elif high is not None:
        value = high / 2 if high > 0 else (high if not bounds.strict_high else high - 1)
    elif low is not None:
        value = low * 1.5 if low > 0 else low + 1
    else:
        return None
    return {"indicator": iid, "value": value, "unit": unit}


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _relocate(doc: SourceDocument, d: Diagnostic) -> Diagnostic:
    """A diagnostic located by field path (schema stage) gets the feature-file line of that field."""
    if d.line is not None and d.file == doc.file:
        return d
    path: Pointer = ()
    if d.field:
        path = tuple(int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _PART.finditer(d.field))
    line, column = doc.locate(path)
    return Diagnostic(d.code, d.message, doc.file, line, column, d.hint, d.field, d.severity)
