"""Validate an application before evaluation: schema, then references to the catalogue and rule set."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .application import Application
from .compiler import CompiledRuleSet
from .diagnostics import Diagnostic, did_you_mean
from .models import Category
from .schema_check import field_path, schema_diagnostics
from .units import UnitError, check_unit, same_dimension
from .yamlsource import APPLICATION_LIMITS, Pointer, SourceDocument, data_diagnostics, parse_text, read_document

__all__ = ["parse_application", "read_application", "application_from_data", "application_from_stored",
           "check_references", "resolve_unit", "MAX_MAGNITUDE"]

# Measurements and parameters beyond this cannot be physical, and converted to a limit's unit they may overflow
# to infinity: refused at intake, as the API does (numbers that fit no double are refused earlier, by the reader).
MAX_MAGNITUDE = 1e100


def _magnitude_problem(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        return f"number `{value:.3g}` is out of range (at most 1e100 in magnitude)"
    return None


def _doc_from_data(data: Any, file: str) -> SourceDocument:
    return SourceDocument(file, data, {}, {})


def _diag(doc: SourceDocument, code: str, message: str, path: Pointer, hint: str | None = None) -> Diagnostic:
    d = doc.diagnostic(code, message, path, hint=hint)
    return Diagnostic(d.code, d.message, d.file, d.line, d.column, d.hint, field=field_path(path))


def _typed(doc: SourceDocument) -> tuple[Application | None, list[Diagnostic]]:
    diags = schema_diagnostics(doc, "application", "application_schema_error")
    if diags:
        return None, diags
    try:
        return Application.model_validate(doc.data), []
    except ValidationError as e:
        return None, [_diag(doc, "application_schema_error", err["msg"][:1].lower() + err["msg"][1:], tuple(err["loc"]))
                      for err in e.errors()]


def read_application(path: Path) -> tuple[Application | None, SourceDocument | None, list[Diagnostic]]:
    doc, diags = read_document(path, limits=APPLICATION_LIMITS, kind="application")
    if doc is None or diags:
        return None, doc, diags
    app, diags = _typed(doc)
    return app, doc, diags


def parse_application(text: str, file: str = "<application>") -> tuple[Application | None, SourceDocument | None,
                                                                        list[Diagnostic]]:
    doc, diags = parse_text(text, file, limits=APPLICATION_LIMITS, kind="application")
    if doc is None or diags:
        return None, doc, diags
    app, diags = _typed(doc)
    return app, doc, diags


def application_from_data(data: Any, file: str = "<request>") -> tuple[Application | None, SourceDocument,
                                                                       list[Diagnostic]]:
    """For JSON already parsed (the API): the same checks, located by field path instead of line."""
    diags = data_diagnostics(data, file, limits=APPLICATION_LIMITS)
    if diags:
        return None, _doc_from_data(data, file), diags
    data = _signless_zeros(data)
    doc = _doc_from_data(json.loads(json.dumps(data)) if not isinstance(data, dict) else data, file)
    app, diags = _typed(doc)
    return app, doc, diags


def application_from_stored(data: Any, file: str = "<stored>") -> tuple[Application | None, SourceDocument,
                                                                        list[Diagnostic]]:
    """`application_from_data` for an application read back from the service's own database, which stored it only
    after `data_diagnostics` accepted it (text a database can hold, numbers in range, size and depth bounded): that
    check is not run again. Every check the decision depends on is: -0.0 read as 0.0, the schema, the typed model
    (and, in `Repository.prepare`, the references and the unit). For the impact analysis, which reads thousands."""
    data = _signless_zeros(data)
    doc = _doc_from_data(json.loads(json.dumps(data)) if not isinstance(data, dict) else data, file)
    app, diags = _typed(doc)
    return app, doc, diags


def _signless_zeros(data: Any) -> Any:
    """`data` with every -0.0 read as 0.0, as the reader reads files (docs/semantics.md §0); `data` itself when it
    holds none, so the common case copies nothing. The depth was bounded by `data_diagnostics`."""
    def has(value: Any) -> bool:
        if isinstance(value, float):
            return value == 0.0 and math.copysign(1.0, value) < 0
        if isinstance(value, dict):
            return any(has(v) for v in value.values())
        if isinstance(value, list):
            return any(has(v) for v in value)
        return False

    def fixed(value: Any) -> Any:
        if isinstance(value, float) and value == 0.0:
            return 0.0
        if isinstance(value, dict):
            return {k: fixed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fixed(v) for v in value]
        return value

    return fixed(data) if has(data) else data


def resolve_unit(category: Category, app: Application, doc: SourceDocument) -> tuple[str | None, list[Diagnostic]]:
    """The certification unit: the one named (checked against the parameters), or the one they define."""
    units = {u.id: u for u in category.certification_units}
    params = app.product.parameters
    if app.certification_unit is not None:
        u = units.get(app.certification_unit)
        if u is None:
            return None, [_diag(doc, "application_reference_error",
                                f"unknown certification unit `{app.certification_unit}` for `{category.id}`",
                                ("certification_unit",), did_you_mean(app.certification_unit, units))]
        for pid, cond in u.defined_by.items():
            if pid in params and not cond.holds(params[pid]):
                return None, [_diag(doc, "application_unit_mismatch",
                                    f"parameter `{pid}` = `{params[pid]}` does not fit certification unit `{u.id}` "
                                    f"({pid} {cond.describe()})", ("product", "parameters", pid))]
        return u.id, []
    if not units:
        return None, []
    matching = [u.id for u in units.values() if u.defined_by and all(
        pid in params and cond.holds(params[pid]) for pid, cond in u.defined_by.items())]
    if len(matching) == 1:
        return matching[0], []
    hint = "name it in `certification_unit`: one of " + ", ".join(f"`{u}`" for u in (matching or units))
    return None, [_diag(doc, "application_reference_error",
                        "cannot tell the certification unit from the product parameters" if not matching
                        else "the product parameters fit several certification units", ("certification_unit",), hint)]


def check_references(compiled: CompiledRuleSet, app: Application, doc: SourceDocument) -> tuple[
        Application | None, str | None, list[Diagnostic]]:
    """Everything evaluation relies on: known ids, parseable units, values of the indicator's kind.

    Returns the application with indicator names resolved to ids (Chinese names and aliases accepted)."""
    cat = compiled.category
    rs = compiled.ruleset
    diags: list[Diagnostic] = []
    unit, unit_diags = resolve_unit(cat, app, doc)
    diags.extend(unit_diags)
    params = {p.id: p for p in cat.parameters}
    for pid, value in app.product.parameters.items():
        path: Pointer = ("product", "parameters", pid)
        p = params.get(pid)
        if p is None:
            diags.append(_diag(doc, "application_reference_error", f"unknown parameter `{pid}` for `{cat.id}`", path,
                               did_you_mean(pid, params)))
        elif p.type == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            diags.append(_diag(doc, "application_value_error", f"parameter `{pid}` must be a number, got `{value}`",
                               path))
        elif p.type == "number" and _magnitude_problem(value):
            diags.append(_diag(doc, "application_value_error", f"parameter `{pid}`: {_magnitude_problem(value)}", path))
        elif p.type == "boolean" and not isinstance(value, bool):
            diags.append(_diag(doc, "application_value_error", f"parameter `{pid}` must be true or false", path))
        elif p.type == "choice" and value not in (p.choices or ()):
            diags.append(_diag(doc, "application_value_error", f"`{value}` is not a choice of parameter `{pid}`", path,
                               did_you_mean(str(value), p.choices or ())))
    needed: dict[str, list[str]] = {}
    for plan in compiled.criteria:
        when = plan.criterion.applies_when
        if when and (when.certification_units is None or unit in when.certification_units):
            for pid in when.parameters:
                if pid not in app.product.parameters:
                    needed.setdefault(pid, []).append(plan.criterion.id)
    for pid, crits in needed.items():
        diags.append(_diag(doc, "application_missing_parameter",
                           f"product parameter `{pid}` is needed to tell whether "
                           + ", ".join(f"`{c}`" for c in crits[:5]) + " apply", ("product", "parameters"),
                           f"add `{pid}` under product.parameters"))

    names: dict[str, str] = {}
    for ind in cat.indicators:
        for name in (ind.id, ind.name.zh, ind.name.en, *ind.aliases):
            names.setdefault(name.casefold(), ind.id)
    indicators = compiled.indicators
    new_reports = []
    changed = False
    for i, report in enumerate(app.evidence.test_reports):
        new_results = []
        for j, r in enumerate(report.results):
            path = ("evidence", "test_reports", i, "results", j)
            iid = names.get(r.indicator.casefold())
            if iid is None:
                diags.append(_diag(doc, "application_reference_error", f"unknown indicator `{r.indicator}` for `{cat.id}`",
                                   path + ("indicator",), did_you_mean(r.indicator, [i.id for i in cat.indicators]
                                                                       + [i.name.zh for i in cat.indicators])))
                new_results.append(r)
                continue
            ind = indicators[iid]
            diags.extend(_check_result(doc, r, ind, path))
            if iid != r.indicator:
                changed = True
                r = r.model_copy(update={"indicator": iid})
            new_results.append(r)
        new_reports.append(report.model_copy(update={"results": tuple(new_results)}))
    labels = {lab.id for lab in rs.labels}
    for k, s in enumerate(app.scope or ()):
        if s not in labels:
            diags.append(_diag(doc, "application_reference_error", f"unknown label `{s}` in `scope`", ("scope", k),
                               did_you_mean(s, labels)))
    if diags:
        return None, None, diags
    if changed:
        app = app.model_copy(update={"evidence": app.evidence.model_copy(update={"test_reports": tuple(new_reports)})})
    return app, unit, []


def _check_result(doc: SourceDocument, r: Any, ind: Any, path: Pointer) -> Iterable[Diagnostic]:
    if ind.kind == "quantity":
        if r.not_detected:
            if r.value is not None:
                yield _diag(doc, "application_value_error", "a not-detected result carries no `value`",
                            path + ("value",), "give the `detection_limit` instead")
        elif isinstance(r.value, bool) or not isinstance(r.value, (int, float)):
            yield _diag(doc, "application_value_error",
                        f"result for `{ind.id}` must be a number, got `{r.value}`" if r.value is not None
                        else f"result for `{ind.id}` has no `value` (or `not_detected: true`)",
                        path + ("value",) if r.value is not None else path)
        elif _magnitude_problem(r.value):
            yield _diag(doc, "application_value_error", f"result for `{ind.id}`: {_magnitude_problem(r.value)}",
                        path + ("value",))
        elif r.value < 0 and ind.non_negative:
            yield _diag(doc, "application_value_error", f"result for `{ind.id}` cannot be negative, got "
                        f"`{r.value:g}`", path + ("value",),
                        f"`{ind.id}` ({ind.unit}) is a quantity that cannot be negative; a result below the detection "
                        "limit is written `not_detected: true` with its `detection_limit`")
        if r.detection_limit is not None:  # the schema wants it above 0
            if _magnitude_problem(r.detection_limit):
                yield _diag(doc, "application_value_error", f"detection limit for `{ind.id}`: "
                            f"{_magnitude_problem(r.detection_limit)}", path + ("detection_limit",))
        if r.unit is None:
            yield _diag(doc, "application_unit_error", f"result for `{ind.id}` needs a `unit`", path,
                        f"the indicator is measured in `{ind.unit}`")
        else:
            try:
                check_unit(r.unit)
            except UnitError:
                yield _diag(doc, "application_unit_error", f"unknown unit `{r.unit}`", path + ("unit",),
                            f"the indicator is measured in `{ind.unit}`")
            else:
                # a length given for a concentration is a mistake in the application, not missing evidence
                if ind.unit and not same_dimension(r.unit, ind.unit):
                    yield _diag(doc, "application_unit_error", f"unit `{r.unit}` cannot convert to `{ind.unit}`, the "
                                f"unit of `{ind.id}`", path + ("unit",),
                                f"give the result in `{ind.unit}` or a unit of the same kind")
    elif ind.kind == "choice":
        if not isinstance(r.value, str):
            yield _diag(doc, "application_value_error", f"result for `{ind.id}` must be one of its choices",
                        path + ("value",), did_you_mean(str(r.value), ind.choices or ()))
        elif ind.choices and r.value not in ind.choices:
            yield _diag(doc, "application_value_error", f"`{r.value}` is not a choice of `{ind.id}`", path + ("value",),
                        did_you_mean(r.value, ind.choices))
    else:
        yield _diag(doc, "application_value_error",
                    f"`{ind.id}` is proved by a declaration, not a test result", path + ("indicator",),
                    f"add it under evidence.declarations with id `{ind.id}`")
