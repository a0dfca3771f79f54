"""Given: the application a scenario describes (the case, the product, test reports, the factory inspection, certificates
and declarations as evidence, the requirements met by default, overlays)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import PROJECT_ROOT, Diagnostic, did_you_mean
from engine.bdd.draft import DEFAULT_LABORATORY, QUALIFICATIONS, Fill, ReportDraft, Where
from engine.bdd.errors import StepFailure
from engine.bdd.values import parse_bool, parse_date, parse_list, parse_number, parse_result_value, unquote
from features.steps.context import Context, _repository, _rows
from features.steps.grammar import step


# ---------------------------------------------------------------------------------------------- Given: the case
@step("given", "the category is {category:text}", "the product category is {category:text}")
def _category(ctx: Context, category: str) -> None:
    ctx.draft.category = ctx.draft.resolve_category(unquote(category))


@step("given", "the certification unit is {unit:text}")
def _unit(ctx: Context, unit: str) -> None:
    cat = ctx.draft.category_model()
    name = unquote(unit)
    for u in cat.certification_units:
        if name in (u.id, u.name.zh) or name.lower() == u.name.en.lower():
            ctx.draft.top["certification_unit"] = (u.id, ctx.here())
            return
    raise StepFailure("bdd_reference_error", f"unknown certification unit `{name}` for `{cat.id}`",
                      hint=did_you_mean(name, [u.id for u in cat.certification_units]))


@step("given", "the edition is {edition:text}")
def _edition(ctx: Context, edition: str) -> None:
    ctx.draft.top["edition"] = (unquote(edition), ctx.here())


@step("given", "the evaluation date is {date:date}")
def _as_of(ctx: Context, date: str) -> None:
    ctx.draft.as_of = parse_date(date, "evaluation date")


@step("given", "the application asks for the label {labels:list}", "the application asks for the labels {labels:list}")
def _scope(ctx: Context, labels: str) -> None:
    names = parse_list(labels)
    if not names:
        raise StepFailure("bdd_value_error", "the application must ask for at least one label")
    ctx.draft.top["scope"] = (names, ctx.here())


# ---------------------------------------------------------------------------------------------- Given: the product
@step("given", "the product model is {model:text}")
def _model(ctx: Context, model: str) -> None:
    ctx.draft.product["model"] = (unquote(model), ctx.here())


@step("given", "the manufacturer is {name:text}")
def _manufacturer(ctx: Context, name: str) -> None:
    ctx.draft.product["manufacturer"] = (unquote(name), ctx.here())


@step("given", "the production site is {name:text}")
def _site(ctx: Context, name: str) -> None:
    ctx.draft.product["production_site"] = (unquote(name), ctx.here())


def _set_parameter(ctx: Context, name: str, raw: str, where: Where) -> None:
    try:
        p = ctx.draft.parameter(unquote(name))
        text = unquote(raw)
        value: Any
        if p.type == "number":
            value = parse_number(text, f"parameter `{p.id}`")
        elif p.type == "boolean":
            value = parse_bool(text, f"parameter `{p.id}`")
        else:
            value = text
            if p.type == "choice" and p.choices and text not in p.choices:
                raise StepFailure("bdd_value_error", f"`{text}` is not a choice of parameter `{p.id}`",
                                  hint=did_you_mean(text, p.choices))
    except StepFailure as e:
        raise StepFailure("", "", diagnostics=[Diagnostic(d.code, d.message, d.file, where.line, where.column, d.hint)
                                               for d in e.diagnostics]) from None
    ctx.draft.parameters[p.id] = (value, where)


@step("given", "the product parameter {parameter} is {value:text}")
def _parameter(ctx: Context, parameter: str, value: str) -> None:
    _set_parameter(ctx, parameter, value, ctx.here())


@step("given", "the product parameters are:", "the product parameters:")
def _parameters(ctx: Context, datatable: list[list[str]]) -> None:
    for i, row in _rows(ctx, datatable, ("parameter", "参数")):
        if len(row) < 2:
            raise StepFailure("bdd_table_error", "a parameter row needs a name and a value",
                              hint="write `| parameter | value |`", line=ctx.cell(i, 0).line)
        _set_parameter(ctx, row[0], row[1], ctx.cell(i, 1))


# ---------------------------------------------------------------------------------------------- Given: test reports
_HEADER = {"indicator": "indicator", "指标": "indicator", "value": "value", "结果": "value", "result": "value",
           "unit": "unit", "单位": "unit", "detection limit": "detection_limit", "检出限": "detection_limit"}


@step("given", "a test report[ {id:quoted}][ issued on {issued:date}][ by {laboratory:quoted}][ with:]")
def _report(ctx: Context, datatable: list[list[str]] | None = None, id: str | None = None, issued: str | None = None,
            laboratory: str | None = None) -> None:
    ctx.draft.category_model()
    report = ReportDraft(ctx.here(), id=unquote(id) if id else None)
    if issued:
        report.issued = parse_date(issued, "issue date")
        report.positions["issued"] = ctx.here()
    if laboratory:
        report.laboratory = unquote(laboratory)
    ctx.draft.reports.append(report)
    if ctx.step is not None and ctx.step.name.rstrip().endswith("with:") and not datatable:
        raise StepFailure("bdd_table_error", "the step ends with `with:` but no results table follows",
                          hint="add `| indicator | value | unit |` rows below it, or drop `with:`")
    if datatable:
        _add_results(ctx, datatable)


@step("given", "the report gives:")
def _results(ctx: Context, datatable: list[list[str]]) -> None:
    _add_results(ctx, datatable)


def _add_results(ctx: Context, datatable: list[list[str]]) -> None:
    report = ctx.draft.current_report()
    columns = ["indicator", "value", "unit", "detection_limit"]
    first = [str(c).strip().lower() for c in datatable[0]] if datatable else []
    start = 0
    if first and first[0] in ("indicator", "指标"):
        columns = []
        for j, name in enumerate(first):
            if name not in _HEADER:
                raise StepFailure("bdd_table_error", f"unknown column `{datatable[0][j]}`",
                                  hint="the columns are `indicator`, `value`, `unit` and optionally `detection limit`",
                                  line=ctx.cell(0, j).line, column=ctx.cell(0, j).column)
            columns.append(_HEADER[name])
        start = 1
    for i in range(start, len(datatable)):
        row = {col: str(datatable[i][j]).strip() for j, col in enumerate(columns) if j < len(datatable[i])}
        where = {col: ctx.cell(i, j) for j, col in enumerate(columns)}
        _add_result(ctx, report, row.get("indicator", ""), row.get("value", ""), row.get("unit") or None,
                    row.get("detection_limit") or None, where, Where(ctx.cell(i, 0).line))


def _add_result(ctx: Context, report: ReportDraft, indicator: str, value: str, unit: str | None,
                detection_limit: str | None, where: dict[str, Where], row: Where) -> None:
    name = unquote(indicator)
    ind = ctx.draft.indicator(name, where.get("indicator", row))
    at_value = where.get("value", row)
    try:
        cell = parse_result_value(value, quantity=ind.kind == "quantity", detection_limit=detection_limit)
    except StepFailure as e:
        raise StepFailure("", "", diagnostics=[Diagnostic(d.code, d.message, None, at_value.line, at_value.column,
                                                          d.hint) for d in e.diagnostics]) from None
    unit = unquote(unit) if unit else None
    ctx.draft.check_result(ind, cell, unit, where.get("unit", row), at_value)
    result: dict[str, Any] = {"indicator": name}
    if cell.not_detected:
        result["not_detected"] = True
        if cell.detection_limit is not None:
            result["detection_limit"] = cell.detection_limit
    else:
        result["value"] = cell.value
    if unit:
        result["unit"] = unit
    positions = {"": row, **{k: w for k, w in where.items() if k in ("indicator", "value", "unit")}}
    if "detection_limit" in where:
        positions["detection_limit"] = where["detection_limit"]
    report.results.append((result, positions))


@step("given", "the report gives {indicator} {value:number}[ {unit}]")
def _one_result(ctx: Context, indicator: str, value: str, unit: str | None = None) -> None:
    here = ctx.here()
    _add_result(ctx, ctx.draft.current_report(), indicator, value, unit, None, {}, here)


@step("given", "the report gives {indicator} not detected[ at {limit:number} {unit}]")
def _one_not_detected(ctx: Context, indicator: str, limit: str | None = None, unit: str | None = None) -> None:
    here = ctx.here()
    _add_result(ctx, ctx.draft.current_report(), indicator, "not detected", unit, limit, {}, here)


@step("given", "the report was issued on {date:date}")
def _issued(ctx: Context, date: str) -> None:
    report = ctx.draft.current_report()
    report.issued = parse_date(date, "issue date")
    report.positions["issued"] = ctx.here()


@step("given", "the laboratory is {name:text}")
def _laboratory(ctx: Context, name: str) -> None:
    ctx.draft.current_report().laboratory = unquote(name) or DEFAULT_LABORATORY


@step("given", "the laboratory holds {qualifications:list}")
def _qualifications(ctx: Context, qualifications: str) -> None:
    report = ctx.draft.current_report()
    names = parse_list(qualifications)
    if [n.lower() for n in names] in (["no qualification"], ["no qualifications"]):
        names = []
    out = []
    for n in names:
        q = n.upper().replace("/", "").replace(" ", "").replace("ISOIEC", "ISO")
        if q not in QUALIFICATIONS:
            raise StepFailure("bdd_value_error", f"unknown laboratory qualification `{n}`",
                              hint="write `CMA`, `CNAS` or `ISO17025` (or `no qualification`)")
        out.append(q)
    report.qualifications = out
    report.positions["laboratory"] = ctx.here()


@step("given", "the report covers the model {model:text}", "the report covers model {model:text}")
def _report_model(ctx: Context, model: str) -> None:
    report = ctx.draft.current_report()
    report.model = unquote(model)
    report.positions["model"] = ctx.here()


# ---------------------------------------------------------------------------------------------- Given: inspection
@step("given", "the factory inspection passed[ on {date:date}]")
def _inspection_passed(ctx: Context, date: str | None = None) -> None:
    ctx.draft.inspection = (_inspection("pass", date), ctx.here())


@step("given", "the factory inspection failed[ on {date:date}]")
def _inspection_failed(ctx: Context, date: str | None = None) -> None:
    ctx.draft.inspection = (_inspection("fail", date), ctx.here())


@step("given", "the factory inspection required corrective action due[ by] {deadline:date}")
def _corrective(ctx: Context, deadline: str) -> None:
    data = _inspection("corrective_action", None)
    data["corrective_action"] = {"deadline": parse_date(deadline, "deadline").isoformat(), "verified": False}
    ctx.draft.inspection = (data, ctx.here())


@step("given", "the corrective action was verified[ on {date:date}]")
def _verified(ctx: Context, date: str | None = None) -> None:
    action = _corrective_action(ctx)
    action["verified"] = True
    if date:
        action["verified_on"] = parse_date(date, "verification date").isoformat()


@step("given", "the corrective action was not verified")
def _not_verified(ctx: Context) -> None:
    action = _corrective_action(ctx)
    action["verified"] = False
    action.pop("verified_on", None)


@step("given", "no factory inspection has been carried out", "there is no factory inspection result")
def _no_inspection(ctx: Context) -> None:
    ctx.draft.inspection = None
    ctx.draft.fill_inspection = None


def _inspection(outcome: str, date: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"outcome": outcome}
    if date:
        data["date"] = parse_date(date, "inspection date").isoformat()
    return data


def _corrective_action(ctx: Context) -> dict[str, Any]:
    inspection = ctx.draft.inspection
    if inspection is None or "corrective_action" not in inspection[0]:
        raise StepFailure("bdd_missing_context", "there is no corrective action to verify",
                          hint="add `Given the factory inspection required corrective action due YYYY-MM-DD` first")
    action: dict[str, Any] = inspection[0]["corrective_action"]
    return action


# ---------------------------------------------------------------------------------------------- Given: certificates
@step("given", "a certificate to {standard:text} valid[ from {start:date}] until {until:date}")
def _certificate(ctx: Context, standard: str, until: str, start: str | None = None) -> None:
    _add_certificate(ctx, standard, until, start, None, ctx.here())


@step("given", "the certificates are:", "the certificates:")
def _certificates(ctx: Context, datatable: list[list[str]]) -> None:
    header = [str(c).strip().lower() for c in datatable[0]] if datatable else []
    columns = header if header and header[0] in ("standard", "标准") else ["standard", "valid until", "valid from",
                                                                          "number"]
    for i, row in _rows(ctx, datatable, ("standard", "标准")):
        values = dict(zip(columns, row))
        if not values.get("standard") or not values.get("valid until"):
            raise StepFailure("bdd_table_error", "a certificate row needs a standard and `valid until`",
                              hint="write `| standard | valid until |` (optionally `valid from`, `number`)",
                              line=ctx.cell(i, 0).line)
        _add_certificate(ctx, values["standard"], values["valid until"], values.get("valid from") or None,
                         values.get("number") or None, Where(ctx.cell(i, 0).line))


def _add_certificate(ctx: Context, standard: str, until: str, start: str | None, number: str | None,
                     where: Where) -> None:
    try:
        cert: dict[str, Any] = {"standard": unquote(standard),
                                "valid_until": parse_date(until, "`valid until` date").isoformat()}
        if start:
            cert["valid_from"] = parse_date(start, "`valid from` date").isoformat()
    except StepFailure as e:
        raise StepFailure("", "", diagnostics=[Diagnostic(d.code, d.message, None, where.line, None, d.hint)
                                               for d in e.diagnostics]) from None
    if number:
        cert["number"] = unquote(number)
    ctx.draft.certificates.append((cert, where))


# ---------------------------------------------------------------------------------------------- Given: declarations
@step("given", "the declaration {ids:list}", "the declarations {ids:list}", "the applicant declares {ids:list}")
def _declarations(ctx: Context, ids: str) -> None:
    for d in parse_list(ids):
        ctx.draft.declarations.append((d, ctx.here()))


# ---------------------------------------------------------------------------------------------- Given: the rest is met
@step("given", "every basic requirement is met[ except {names:list}]")
def _fill_basic(ctx: Context, names: str | None = None) -> None:
    ctx.draft.fill_basic = Fill(ctx.here(), tuple(parse_list(names)) if names else ())


@step("given", "every[ other] criterion is met[ except {names:list}]")
def _fill_criteria(ctx: Context, names: str | None = None) -> None:
    ctx.draft.fill_criteria = Fill(ctx.here(), tuple(parse_list(names)) if names else ())


@step("given", "an application that meets every requirement[ except {names:list}]")
def _fill_all(ctx: Context, names: str | None = None) -> None:
    ctx.draft.fill_all = Fill(ctx.here(), tuple(parse_list(names)) if names else ())


# ---------------------------------------------------------------------------------------------- Given: overlays
@step("given", "the overlay {path:text}", "the certification body's overlay {path:text}")
def _overlay(ctx: Context, path: str) -> None:
    """An overlay file or folder (docs/overlays.md), relative to the working folder or to the feature file."""
    given = Path(unquote(path))
    feature_dir = Path(ctx.file).resolve().parent
    bases = [Path.cwd(), feature_dir, feature_dir.parent, PROJECT_ROOT]
    candidates = [given] if given.is_absolute() else [base / given for base in bases]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise StepFailure("bdd_reference_error", f"no overlay file or folder `{given}`",
                          hint="give the path relative to the project folder or to the feature file's folder")
    ctx.overlays.append(found.resolve())
    ctx.draft.repo = _repository(ctx.overlays)
