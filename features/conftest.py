"""The Gherkin step library for rule authors: every sentence a feature file may use (docs/authoring.md)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import parsers
from pytest_bdd import step as bdd_step

from engine import (
    PROJECT_ROOT,
    CriterionResult,
    Decision,
    Diagnostic,
    DiagnosticError,
    LabelResult,
    LoadResult,
    Repository,
    RequirementResult,
    apply_overlays,
    certificates,
    did_you_mean,
    load,
)
from engine.bdd.coverage import ENV_COVERAGE, Recorder, ScenarioRun, compute, report_data, repository_paths, write
from engine.bdd.draft import DEFAULT_LABORATORY, QUALIFICATIONS, ApplicationDraft, Fill, ReportDraft, Where
from engine.bdd.errors import StepFailure, render_failure
from engine.bdd.values import (
    LABEL_WORDS,
    VERDICT_WORDS,
    parse_bool,
    parse_date,
    parse_label_status,
    parse_list,
    parse_number,
    parse_reason,
    parse_result_value,
    parse_verdict,
    unquote,
)
from engine.units import IncompatibleUnits, UnitError, convert

# ---------------------------------------------------------------------------------------------- templates
# A step is written as a readable template; `{name}` is one word or a "quoted text", `{name:kind}` is typed,
# `[...]` is optional. The same templates are the step reference of docs/authoring.md.
STEPS: list[tuple[str, str]] = []

_VERDICT_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                                 for w in sorted(VERDICT_WORDS, key=len, reverse=True))
_LABEL_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(LABEL_WORDS, key=len, reverse=True))
_KINDS = {
    "": r"\"[^\"]*\"|'[^']*'|`[^`]*`|\S+",
    "quoted": r"\"[^\"]*\"",
    "text": r".+?",
    "list": r".+?",
    "date": r"\S+",
    "number": r"[-+<＜.\d]\S*",
    "ref": r"(?!an?\s).+?",
    "article": r"an?\s.+?",
    "verdict": _VERDICT_ALTERNATIVES,
    "status": _LABEL_ALTERNATIVES,
}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _regex(template: str) -> str:
    out, i = [], 0
    while i < len(template):
        ch = template[i]
        if ch == "[":
            out.append("(?:")
        elif ch == "]":
            out.append(")?")
        elif ch == "{":
            m = _PLACEHOLDER.match(template, i)
            if m is None:
                raise ValueError(f"bad placeholder in step template {template!r}")
            out.append(f"(?P<{m.group(1)}>{_KINDS[m.group(2) or '']})")
            i = m.end()
            continue
        elif ch == " ":
            out.append(r"\s+")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def step(kind: str, *templates: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register one step function under each template, for Given, When or Then."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        for template in templates:
            STEPS.append((kind, template))
            bdd_step(parsers.re(_regex(template)), kind, stacklevel=2)(func)  # type: ignore[arg-type]
        return func
    return register


# ---------------------------------------------------------------------------------------------- context
_SCENARIO = pytest.StashKey[tuple[Any, Any]]()
_STEP = pytest.StashKey[Any]()
_CONTEXT = pytest.StashKey["Context"]()
_RECORDER = pytest.StashKey[Recorder]()
_repositories: dict[tuple[str, ...], Repository | StepFailure] = {}


def _display(path: str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _repository(overlays: Sequence[Path] = ()) -> Repository:
    """The catalogue and rule sets, loaded once per session (per overlay set) through the real loader.

    With overlays this does what `Repository.load(paths, overlays)` does (load, then `apply_overlays`, then
    `Repository`), but reads the shipped files once per session instead of once per overlay folder."""
    key = tuple(str(p) for p in overlays)
    cached = _repositories.get(key)
    if cached is None:
        try:
            if overlays:
                base = _base_load()
                merged, applied = apply_overlays(base, list(overlays)) if base.ok else (base, {})
                cached = Repository(merged, applied)
            else:
                cached = Repository(_base_load())
        except DiagnosticError as e:
            cached = StepFailure("bdd_rules_error", "", diagnostics=[
                Diagnostic(d.code, d.message, d.file, d.line, d.column, d.hint) for d in e.diagnostics] + [
                Diagnostic("bdd_rules_error", "the catalogue, rule sets or overlays do not load; the scenario cannot run",
                           None, None, None, "run `greencert validate` (with `--overlay` for an overlay) and fix "
                           "the problems it lists")])
        _repositories[key] = cached
    if isinstance(cached, StepFailure):
        raise cached
    return cached


_loaded: list[LoadResult] = []


def _base_load() -> LoadResult:
    if not _loaded:
        _loaded.append(load(repository_paths()))
    return _loaded[0]


class Context:
    """One scenario: the application being described, the decision it got, what its checks exercised."""

    def __init__(self, request: pytest.FixtureRequest):
        self.request = request
        feature, scenario = request.node.stash.get(_SCENARIO, (None, None))
        self.file = _display(feature.filename) if feature is not None else "<feature>"
        self.scenario = scenario
        self.draft = ApplicationDraft(_repository(), self.file, Where(scenario.line_number if scenario else 1))
        self.overlays: list[Path] = []
        self.decision: Decision | None = None
        self.rejection: StepFailure | None = None
        self.exercised: list[tuple[str, str, str, str]] = []

    # where the author is
    @property
    def step(self) -> Any:
        return self.request.node.stash.get(_STEP, None)

    def here(self) -> Where:
        return Where(self.step.line_number if self.step is not None else 1)

    def cell(self, row: int, column: int) -> Where:
        table = self.step.datatable if self.step is not None else None
        try:
            loc = table.rows[row].cells[column].location
            return Where(loc.line, loc.column)
        except (AttributeError, IndexError):
            return Where(table.rows[row].location.line) if table is not None and row < len(table.rows) else self.here()

    # the decision
    def need_decision(self) -> Decision:
        if self.rejection is not None:
            raise self.rejection
        if self.decision is None:
            raise StepFailure("bdd_missing_context", "the application has not been evaluated yet",
                              hint="add `When the application is evaluated` before the Then steps")
        return self.decision

    def record(self, kind: str, item: str, verdict: str, counted: bool = True) -> None:
        if counted and self.decision is not None:
            entry = (self.decision.ruleset_id, kind, item, verdict)
            if entry not in self.exercised:
                self.exercised.append(entry)

    def stated(self, evidence: Any) -> bool:
        """False when the evidence a verdict rests on was filled in by the kit, not stated by the scenario."""
        if evidence is None:
            return True
        return (evidence.kind, evidence.id) not in self.draft.filler_refs

    # names an author may use
    def criterion(self, name: str) -> CriterionResult:
        decision = self.need_decision()
        name = unquote(name)
        for c in decision.criteria:
            if c.id == name:
                return c
        ids = [c.id for c in decision.criteria]
        try:
            ind = self.draft.indicator(name)
        except StepFailure:
            raise StepFailure("bdd_reference_error", f"unknown criterion `{name}` in `{decision.ruleset_id}`",
                              hint=did_you_mean(name, ids)) from None
        matches = [c for c in decision.criteria if c.indicator == ind.id]
        applicable = [c for c in matches if c.verdict != "not_applicable"] or matches
        if len(applicable) == 1:
            return applicable[0]
        if not applicable:
            raise StepFailure("bdd_reference_error", f"no criterion of `{decision.ruleset_id}` evaluates `{ind.id}`",
                              hint=did_you_mean(name, ids))
        raise StepFailure("bdd_reference_error", f"`{name}` is evaluated by several criteria",
                          hint="name one of " + ", ".join(f"`{c.id}`" for c in applicable))

    def basic(self, name: str) -> RequirementResult:
        decision = self.need_decision()
        name = unquote(name)
        for b in decision.basic_requirements:
            if name in (b.id, b.name_zh) or name.lower() == b.name_en.lower():
                return b
        raise StepFailure("bdd_reference_error", f"unknown basic requirement `{name}` in `{decision.ruleset_id}`",
                          hint=did_you_mean(name, [b.id for b in decision.basic_requirements]))

    def label(self, name: str) -> LabelResult:
        decision = self.need_decision()
        name = unquote(name)
        for lab in decision.labels:
            if name in (lab.id, lab.name_zh) or name.lower() == lab.name_en.lower():
                return lab
        raise StepFailure("bdd_reference_error", f"unknown label `{name}` in `{decision.ruleset_id}`",
                          hint=did_you_mean(name, [lab.id for lab in decision.labels]))

    def item(self, name: str) -> tuple[str, str, str, Any]:
        """(kind, id, verdict, evidence) of a criterion, a basic requirement or the factory inspection."""
        decision = self.need_decision()
        bare = unquote(name)
        if re.fullmatch(r"(the\s+)?factory[\s_]inspection", bare, re.IGNORECASE):
            fi = decision.factory_inspection
            if fi is None:
                raise StepFailure("bdd_reference_error", f"`{decision.ruleset_id}` requires no factory inspection")
            return "factory_inspection", "factory_inspection", fi.verdict, None
        if any(bare in (b.id, b.name_zh) for b in decision.basic_requirements):
            b = self.basic(bare)
            return "basic_requirement", b.id, b.verdict, b.evidence
        c = self.criterion(bare)
        return "criterion", c.id, c.verdict, c.evidence


@pytest.fixture
def ctx(request: pytest.FixtureRequest) -> Context:
    context = Context(request)
    request.node.stash[_CONTEXT] = context
    return context


def _expect(actual: str, expected: str, what: str, detail: str | None = None) -> None:
    if actual != expected:
        raise StepFailure("bdd_expectation_failed", f"{what}: expected `{expected}`, got `{actual}`",
                          hint=detail)


def _criterion_detail(c: CriterionResult) -> str:
    parts = [f"requirement {c.requirement}"]
    if c.measured is not None:
        shown = "not detected at" if c.measured.not_detected else "measured"
        parts.append(f"{shown} {c.measured.value:g} {c.measured.unit or ''}".rstrip()
                     if isinstance(c.measured.value, float) else f"{shown} {c.measured.value}")
    if c.reason:
        parts.append(f"reason `{c.reason}`" + (f": {c.detail}" if c.detail else ""))
    return "; ".join(parts)


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


def _rows(ctx: Context, datatable: list[list[str]] | None, header_words: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    if not datatable:
        raise StepFailure("bdd_table_error", "this step needs a table under it",
                          hint="add the rows as `| ... | ... |` lines right below the step")
    rows = [(i, [str(c).strip() for c in row]) for i, row in enumerate(datatable)]
    if rows and rows[0][1] and rows[0][1][0].lower() in header_words:
        rows = rows[1:]
    return rows


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


# ---------------------------------------------------------------------------------------------- When
@step("when", "the application is evaluated[ on {date:date}]", "it is evaluated[ on {date:date}]",
      "the certification body evaluates the application[ on {date:date}]")
def _evaluate(ctx: Context, date: str | None = None) -> None:
    if date:
        ctx.draft.as_of = parse_date(date, "evaluation date")
    ctx.decision, ctx.rejection = None, None
    try:
        ctx.decision = ctx.draft.evaluate()
    except StepFailure as e:
        if e.diagnostics and e.diagnostics[0].code.startswith("bdd_"):
            raise
        if not _rejection_expected(ctx):
            raise StepFailure("", "", diagnostics=[*e.diagnostics, Diagnostic(
                "bdd_application_rejected", "the engine rejected the application before evaluating it", None,
                ctx.here().line, None, "fix the lines named above, or, when the rejection is the point of the "
                "scenario, add `Then the application is rejected with <code>`")]) from None
        ctx.rejection = e


def _rejection_expected(ctx: Context) -> bool:
    scenario, step_now = ctx.scenario, ctx.step
    if scenario is None or step_now is None:
        return False
    later = [s for s in scenario.steps if s.line_number > step_now.line_number]
    return any(re.search(r"\bis\s+rejected\b", s.name) for s in later if s.type == "then")


# ---------------------------------------------------------------------------------------------- Then: outcome
@step("then", "the outcome is {outcome}", "the application is {outcome}")
def _outcome(ctx: Context, outcome: str) -> None:
    expected = unquote(outcome).lower()
    if expected == "rejected":
        _rejected(ctx, None)
        return
    if expected not in ("granted", "refused", "incomplete"):
        raise StepFailure("bdd_value_error", f"`{outcome}` is not an outcome", hint="write `granted`, `refused`, "
                          "`incomplete` (or `the application is rejected with <code>`)")
    decision = ctx.need_decision()
    if decision.outcome != expected:
        problems = [f"{c.id} {c.verdict}" for c in decision.criteria if c.verdict not in ("pass", "not_applicable")]
        problems += [f"{b.id} {b.verdict}" for b in decision.basic_requirements if b.verdict != "pass"]
        if decision.factory_inspection is not None and decision.factory_inspection.verdict != "pass":
            problems.append(f"factory inspection {decision.factory_inspection.verdict}")
        _expect(decision.outcome, expected, "outcome",
                "not passing: " + ", ".join(problems) if problems else None)


@step("then", "the application is rejected with {code}")
def _rejected_with(ctx: Context, code: str) -> None:
    _rejected(ctx, unquote(code))


def _rejected(ctx: Context, code: str | None) -> None:
    if ctx.rejection is None:
        raise StepFailure("bdd_expectation_failed", "the application was not rejected: it was evaluated"
                          + (f" ({ctx.decision.outcome})" if ctx.decision else ""))
    codes = [d.code for d in ctx.rejection.diagnostics]
    if code is not None and code not in codes:
        raise StepFailure("bdd_expectation_failed", f"the application was rejected, but not with `{code}`",
                          hint="it was rejected with " + ", ".join(f"`{c}`" for c in codes))


@step("then", "the decision applies {edition:text}")
def _edition_applied(ctx: Context, edition: str) -> None:
    decision = ctx.need_decision()
    name = unquote(edition)
    if name not in (decision.standard, decision.ruleset_id):
        raise StepFailure("bdd_expectation_failed", f"the decision applies `{decision.standard}` "
                          f"(`{decision.ruleset_id}`), not `{name}`",
                          hint=f"on {decision.evaluated_on.isoformat()} the edition in force is `{decision.standard}`")


@step("then", "the certification unit is {unit:text}")
def _unit_decided(ctx: Context, unit: str) -> None:
    decision = ctx.need_decision()
    _expect(str(decision.certification_unit), unquote(unit), "certification unit")


# ---------------------------------------------------------------------------------------------- Then: verdicts
def _check_verdict(ctx: Context, name: str, verdict_text: str, reason: str | None, *, kind: str | None = None) -> None:
    expected = parse_verdict(verdict_text)
    if kind == "basic_requirement":
        b = ctx.basic(name)
        item_kind, item_id, actual, evidence, actual_reason = "basic_requirement", b.id, b.verdict, b.evidence, b.reason
        detail = b.detail
    elif kind == "factory_inspection":
        fi = ctx.need_decision().factory_inspection
        if fi is None:
            raise StepFailure("bdd_reference_error", "this rule set requires no factory inspection")
        item_kind, item_id, actual, evidence, actual_reason = "factory_inspection", "factory_inspection", fi.verdict, \
            None, fi.reason
        detail = fi.detail
    else:
        item_kind, item_id, actual, evidence = ctx.item(name)
        if item_kind == "criterion":
            c = ctx.criterion(item_id)
            actual_reason, detail = c.reason, _criterion_detail(c)
        elif item_kind == "basic_requirement":
            b = ctx.basic(item_id)
            actual_reason, detail = b.reason, b.detail
        else:
            fi = ctx.need_decision().factory_inspection
            actual_reason, detail = (fi.reason, fi.detail) if fi else (None, None)
    label = {"criterion": "criterion", "basic_requirement": "basic requirement",
             "factory_inspection": "factory inspection"}[item_kind]
    what = f"{label} `{item_id}`" if item_kind != "factory_inspection" else label
    _expect(actual, expected, what, detail)
    if reason is not None:
        wanted = parse_reason(reason)
        if actual_reason != wanted:
            raise StepFailure("bdd_expectation_failed", f"{what} is `{actual}` because `{actual_reason}`, "
                              f"not `{wanted}`", hint=detail)
    counted = actual != "pass" or ctx.stated(evidence)
    if item_kind == "factory_inspection" and actual == "pass" and ctx.draft.inspection_filled:
        counted = False
    ctx.record(item_kind, item_id, actual, counted)


@step("then", "[the ]criterion {criterion:text} {verdict:verdict}[ because {reason:text}]")
def _criterion_verdict(ctx: Context, criterion: str, verdict: str, reason: str | None = None) -> None:
    ctx.criterion(criterion)  # a criterion, not a basic requirement
    _check_verdict(ctx, criterion, verdict, reason)


@step("then", "the verdict for {item:text} is {verdict:text}[ because {reason:text}]")
def _verdict_for(ctx: Context, item: str, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, item, verdict, reason)


@step("then", "the basic requirement {requirement:text} {verdict:verdict}[ because {reason:text}]")
def _basic_verdict(ctx: Context, requirement: str, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, requirement, verdict, reason, kind="basic_requirement")


@step("then", "the factory inspection {verdict:verdict}[ because {reason:text}]")
def _inspection_verdict(ctx: Context, verdict: str, reason: str | None = None) -> None:
    _check_verdict(ctx, "factory inspection", verdict, reason, kind="factory_inspection")


@step("then", "the verdicts are:")
def _verdicts(ctx: Context, datatable: list[list[str]]) -> None:
    rows = _rows(ctx, datatable, ("criterion", "item", "requirement", "指标", "判定项"))
    failures: list[Diagnostic] = []
    for i, row in rows:
        if len(row) < 2:
            raise StepFailure("bdd_table_error", "a verdict row needs an item and a verdict",
                              hint="write `| criterion | verdict | reason |`", line=ctx.cell(i, 0).line)
        try:
            _check_verdict(ctx, row[0], row[1], row[2] if len(row) > 2 and row[2] else None)
        except StepFailure as e:
            failures.extend(Diagnostic(d.code, d.message, None, ctx.cell(i, 0).line, None, d.hint)
                            for d in e.diagnostics)
    if failures:
        raise StepFailure("", "", diagnostics=failures)


# ---------------------------------------------------------------------------------------------- Then: missing evidence
_MISSING_KINDS = {"test result": "test_result", "certificate": "certificate", "declaration": "declaration",
                  "limit value": "limit_value", "corrective action": "corrective_action",
                  "factory inspection": "factory_inspection", "factory inspection result": "factory_inspection"}


def _missing_ref(ctx: Context, name: str) -> tuple[str, str, str, Any]:
    """A criterion, basic requirement or the factory inspection; else a label (a grade label asks for its test)."""
    bare = re.sub(r"^the\s+", "", unquote(name))
    try:
        return ctx.item(bare)
    except StepFailure:
        labels = ctx.need_decision().labels
        if not any(bare in (lab.id, lab.name_zh) or bare.lower() == lab.name_en.lower() for lab in labels):
            raise
    lab = ctx.label(bare)
    return "label", lab.id, lab.status, None


@step("then", "the missing evidence includes {kind:article} for {ref:text}")
def _missing_kind(ctx: Context, kind: str, ref: str) -> None:
    _check_missing(ctx, ref, re.sub(r"^an?\s+", "", kind))


@step("then", "the missing evidence includes {ref:ref}")
def _missing_any(ctx: Context, ref: str) -> None:
    _check_missing(ctx, ref, None)


def _check_missing(ctx: Context, ref: str, kind: str | None) -> None:
    decision = ctx.need_decision()
    item_kind, item_id, verdict, _ = _missing_ref(ctx, ref)
    wanted_kind = None
    if kind is not None:
        wanted_kind = _MISSING_KINDS.get(" ".join(kind.lower().split()))
        if wanted_kind is None:
            raise StepFailure("bdd_value_error", f"`{kind}` is not a kind of missing evidence",
                              hint="write one of " + ", ".join(f"`{k}`" for k in _MISSING_KINDS))
    items = [m for m in decision.missing_evidence if m.ref == item_id and (wanted_kind is None or m.kind == wanted_kind)]
    if not items:
        listed = ", ".join(f"{m.kind} for `{m.ref}`" for m in decision.missing_evidence) or "nothing"
        raise StepFailure("bdd_expectation_failed",
                          f"the missing evidence has no {kind + ' ' if kind else ''}item for `{item_id}` "
                          f"(its verdict is `{verdict}`)", hint=f"the missing evidence lists {listed}")
    ctx.record(item_kind, item_id, verdict)


@step("then", "the missing evidence does not include {ref:text}")
def _not_missing(ctx: Context, ref: str) -> None:
    decision = ctx.need_decision()
    _, item_id, verdict, _ = _missing_ref(ctx, ref)
    items = [m for m in decision.missing_evidence if m.ref == item_id]
    if items:
        raise StepFailure("bdd_expectation_failed", f"the missing evidence lists `{item_id}` (its verdict is "
                          f"`{verdict}`)", hint=items[0].description)


@step("then", "no evidence is missing", "nothing is missing")
def _nothing_missing(ctx: Context) -> None:
    decision = ctx.need_decision()
    if decision.missing_evidence:
        raise StepFailure("bdd_expectation_failed", "evidence is missing: " + ", ".join(
            f"{m.kind} for `{m.ref}`" for m in decision.missing_evidence))


@step("then", "the missing evidence is:")
def _missing_exactly(ctx: Context, datatable: list[list[str]]) -> None:
    decision = ctx.need_decision()
    expected: set[tuple[str, str]] = set()
    for i, row in _rows(ctx, datatable, ("kind", "evidence")):
        if len(row) < 2:
            raise StepFailure("bdd_table_error", "a row needs a kind and what it is for",
                              hint="write `| kind | for |`, e.g. `| test result | formaldehyde |`", line=ctx.cell(i, 0).line)
        kind = _MISSING_KINDS.get(" ".join(row[0].lower().split()))
        if kind is None:
            raise StepFailure("bdd_value_error", f"`{row[0]}` is not a kind of missing evidence",
                              hint="write one of " + ", ".join(f"`{k}`" for k in _MISSING_KINDS),
                              line=ctx.cell(i, 0).line)
        item_kind, item_id, verdict, _ = _missing_ref(ctx, row[1])
        expected.add((kind, item_id))
        ctx.record(item_kind, item_id, verdict)
    actual = {(m.kind, m.ref) for m in decision.missing_evidence}
    if actual != expected:
        extra = ", ".join(f"{k} for `{r}`" for k, r in sorted(actual - expected))
        lacking = ", ".join(f"{k} for `{r}`" for k, r in sorted(expected - actual))
        raise StepFailure("bdd_expectation_failed", "the missing evidence differs",
                          hint="; ".join(x for x in (f"also listed: {extra}" if extra else "",
                                                     f"not listed: {lacking}" if lacking else "") if x))


# ---------------------------------------------------------------------------------------------- Then: labels
@step("then", "the eligible labels are {labels:list}")
def _eligible(ctx: Context, labels: str) -> None:
    _check_eligible(ctx, labels, exact=True)


@step("then", "the product is eligible for {labels:list}")
def _eligible_for(ctx: Context, labels: str) -> None:
    _check_eligible(ctx, labels, exact=False)


def _check_eligible(ctx: Context, labels: str, *, exact: bool) -> None:
    decision = ctx.need_decision()
    names = [re.sub(r"^(the\s+)?labels?\s+", "", n) for n in parse_list(labels)]
    wanted = {ctx.label(n).id for n in names}
    actual = set(decision.eligible_labels)
    if (exact and actual != wanted) or (not exact and not wanted <= actual):
        detail = "; ".join(f"`{lab.id}` {lab.status}" + (f" (failed: {', '.join(lab.failed)})" if lab.failed else "")
                           + (f" (open: {', '.join(lab.open)})" if lab.open else "") for lab in decision.labels)
        raise StepFailure("bdd_expectation_failed",
                          "eligible labels: expected " + (", ".join(f"`{x}`" for x in sorted(wanted)) or "none")
                          + ", got " + (", ".join(f"`{x}`" for x in sorted(actual)) or "none"), hint=detail)
    for lab in decision.labels:
        if exact or lab.id in wanted:
            ctx.record("label", lab.id, lab.status)


@step("then", "no label is eligible")
def _no_label(ctx: Context) -> None:
    decision = ctx.need_decision()
    if decision.eligible_labels:
        raise StepFailure("bdd_expectation_failed", "labels are eligible: " + ", ".join(
            f"`{x}`" for x in decision.eligible_labels))
    for lab in decision.labels:
        ctx.record("label", lab.id, lab.status)


@step("then", "the label {label:text} is {status:status}")
def _label_status(ctx: Context, label: str, status: str) -> None:
    lab = ctx.label(label)
    expected = parse_label_status(status)
    detail = "; ".join(x for x in (f"failed: {', '.join(lab.failed)}" if lab.failed else "",
                                   f"open: {', '.join(lab.open)}" if lab.open else "") if x) or None
    _expect(lab.status, expected, f"label `{lab.id}`", detail)
    ctx.record("label", lab.id, lab.status)
    if lab.grade and lab.status == "eligible":
        ctx.record("label", lab.id, f"grade:{lab.grade}")


def _grade_label(ctx: Context, name: str | None) -> LabelResult:
    decision = ctx.need_decision()
    if name:
        return ctx.label(name)
    graded = [lab for lab in decision.labels if lab.kind == "grade"]
    if len(graded) != 1:
        raise StepFailure("bdd_reference_error", f"`{decision.ruleset_id}` has {len(graded)} grade labels",
                          hint="name it: `the grade for <label> is <grade>`")
    return graded[0]


def _grade_detail(lab: LabelResult) -> str:
    parts = [f"label status `{lab.status}`"]
    parts += [f"failed: {', '.join(lab.failed)}"] if lab.failed else []
    parts += [f"open: {', '.join(lab.open)}"] if lab.open else []
    parts += [f"open grades: {', '.join(o.id for o in lab.open_grades)}"] if lab.open_grades else []
    return "; ".join(parts)


@step("then", "the grade is {grade}", "the grade for {label:text} is {grade}",
      "the evidence proves grade {grade}[ for {label:text}]")
def _grade(ctx: Context, grade: str, label: str | None = None) -> None:
    """The grade the evidence proves; it is awarded only when the label is eligible (docs/semantics.md §5)."""
    lab = _grade_label(ctx, label)
    expected = unquote(grade)
    _expect(str(lab.grade), expected, f"grade of `{lab.id}`", _grade_detail(lab))
    ctx.record("label", lab.id, lab.status)
    if lab.status == "eligible":
        ctx.record("label", lab.id, f"grade:{lab.grade}")


@step("then", "no grade is awarded[ for {label:text}]")
def _no_grade(ctx: Context, label: str | None = None) -> None:
    lab = _grade_label(ctx, label)
    if lab.grade is not None and lab.status == "eligible":
        raise StepFailure("bdd_expectation_failed", f"`{lab.id}` awards grade `{lab.grade}`", hint=_grade_detail(lab))
    ctx.record("label", lab.id, lab.status)


@step("then", "the open grades are {grades:list}", "the open grades for {label:text} are {grades:list}")
def _open_grades(ctx: Context, grades: str, label: str | None = None) -> None:
    """The better grades a not-detected result leaves open, best first (`none` when there are none)."""
    lab = _grade_label(ctx, label)
    actual = [o.id for o in lab.open_grades]
    expected = parse_list(grades)
    if actual != expected:
        raise StepFailure("bdd_expectation_failed", f"open grades of `{lab.id}`: expected "
                          + (", ".join(f"`{g}`" for g in expected) or "none") + ", got "
                          + (", ".join(f"`{g}`" for g in actual) or "none"), hint=_grade_detail(lab))
    ctx.record("label", lab.id, lab.status)


@step("then", "a detection limit at or below {limit:number} {unit} would prove {grade}[ for {label:text}]")
def _grade_test(ctx: Context, limit: str, unit: str, grade: str, label: str | None = None) -> None:
    """The test that would prove an open grade: a not-detected result with a detection limit at or below this."""
    lab = _grade_label(ctx, label)
    wanted = unquote(grade)
    found = next((o for o in lab.open_grades if o.id == wanted), None)
    if found is None:
        raise StepFailure("bdd_expectation_failed", f"grade `{wanted}` of `{lab.id}` is not open",
                          hint=_grade_detail(lab))
    if found.detection_limit_max is None:
        raise StepFailure("bdd_expectation_failed", f"no detection limit proves grade `{wanted}` of `{lab.id}`: only "
                          "a quantified result can decide it")
    number = float(parse_number(limit, "detection limit"))
    given = unquote(unit)
    try:
        expected = convert(number, given, found.unit or given) if found.unit and given != found.unit else number
    except (UnitError, IncompatibleUnits):
        raise StepFailure("bdd_unit_error", f"unit `{given}` cannot convert to `{found.unit}`, the unit of grade "
                          f"`{wanted}`", hint=f"write the detection limit in `{found.unit}`") from None
    if abs(found.detection_limit_max - expected) > 1e-9 * max(1.0, abs(expected)):
        unit_text = f" {found.unit}" if found.unit else ""
        raise StepFailure("bdd_expectation_failed", f"grade `{wanted}` of `{lab.id}` needs a detection limit at or "
                          f"below {found.detection_limit_max:g}{unit_text}, not {expected:g}{unit_text}")
    ctx.record("label", lab.id, lab.status)


# ---------------------------------------------------------------------------------------------- Then: numbers
def _quantity(ctx: Context, c: CriterionResult, value: str, unit: str | None, what: str) -> float:
    number = float(parse_number(value, what))
    if unit and c.limit_unit and unquote(unit) != c.limit_unit:
        try:
            return convert(number, unquote(unit), c.limit_unit)
        except (UnitError, IncompatibleUnits):
            raise StepFailure("bdd_unit_error", f"unit `{unit}` cannot convert to `{c.limit_unit}`, the unit of the "
                              f"limit of `{c.id}`", hint=f"write the {what} in `{c.limit_unit}`") from None
    return number


def _tolerance(ctx: Context, c: CriterionResult, tolerance: str | None, unit: str | None, expected: float) -> float:
    if tolerance is None:
        return 1e-9 * max(1.0, abs(expected))
    return abs(_quantity(ctx, c, tolerance, unit, "tolerance"))


@step("then", "the margin for {criterion:text} is {value:number}[ {unit}][ within {tolerance:number}]",
      "the margin for {criterion:text} is {value:number}[ {unit}] ± {tolerance:number}")
def _margin(ctx: Context, criterion: str, value: str, unit: str | None = None, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    if unit in ("within", "±"):
        unit = None
    expected = _quantity(ctx, c, value, unit, "margin")
    if c.margin is None:
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no margin (verdict `{c.verdict}`)",
                          hint=_criterion_detail(c))
    tol = _tolerance(ctx, c, tolerance, unit, expected)
    if abs(c.margin - expected) > tol:
        unit_text = f" {c.limit_unit}" if c.limit_unit else ""
        raise StepFailure("bdd_expectation_failed", f"margin of `{c.id}`: expected {expected:g}{unit_text} "
                          f"(± {tol:g}), got {c.margin:g}{unit_text}", hint=_criterion_detail(c))


@step("then", "the relative margin for {criterion:text} is {value:number} %[ within {tolerance:number} %]",
      "the relative margin for {criterion:text} is {value:number}%[ within {tolerance:number}%]")
def _relative_margin(ctx: Context, criterion: str, value: str, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    expected = float(parse_number(value, "relative margin")) / 100
    tol = float(parse_number(tolerance, "tolerance")) / 100 if tolerance else 1e-9
    if c.margin_relative is None:
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no relative margin", hint=_criterion_detail(c))
    if abs(c.margin_relative - expected) > tol:
        raise StepFailure("bdd_expectation_failed", f"relative margin of `{c.id}`: expected {expected * 100:g}%, "
                          f"got {c.margin_relative * 100:g}%", hint=_criterion_detail(c))


@step("then", "the measured value for {criterion:text} is {value:number}[ {unit}][ within {tolerance:number}]")
def _measured(ctx: Context, criterion: str, value: str, unit: str | None = None, tolerance: str | None = None) -> None:
    c = ctx.criterion(criterion)
    if c.measured is None or not isinstance(c.measured.value, (int, float)):
        raise StepFailure("bdd_expectation_failed", f"criterion `{c.id}` has no measured value (verdict `{c.verdict}`)",
                          hint=_criterion_detail(c))
    expected = _quantity(ctx, c, value, unit, "value")
    tol = _tolerance(ctx, c, tolerance, unit, expected)
    if abs(float(c.measured.value) - expected) > tol:
        raise StepFailure("bdd_expectation_failed", f"measured value of `{c.id}`: expected {expected:g}, got "
                          f"{float(c.measured.value):g} {c.limit_unit or ''}".rstrip(), hint=_criterion_detail(c))


@step("then", "a caveat mentions {text:text}")
def _caveat(ctx: Context, text: str) -> None:
    decision = ctx.need_decision()
    wanted = unquote(text)
    if not any(wanted.lower() in c.lower() for c in decision.caveats):
        raise StepFailure("bdd_expectation_failed", f"no caveat mentions `{wanted}`",
                          hint="the caveats are: " + (" | ".join(decision.caveats) or "none"))


# ---------------------------------------------------------------------------------------------- certificates
# A certificate's life (docs/certificates.md): the moves rest on the latest decision of the scenario, and each is
# checked by the pure state machine of engine/certificates.py, as the service checks it.
_STATE_WORDS = {"valid": "valid", "suspended": "suspended", "revoked": "revoked", "cancelled": "cancelled",
                "expired": "expired", "not issued": "not_issued", "not yet issued": "not_issued"}
_STATE_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_STATE_WORDS, key=len, reverse=True))
_KINDS["state"] = _STATE_ALTERNATIVES
_SCHEDULE_NAMES = {"validity": "validity", "surveillance interval": "surveillance_interval",
                   "suspension period": "suspension_period", "renewal window": "renewal_window",
                   "transition period": "transition"}


class CertificateRun:
    """The certificate of a scenario: its log, the schedule it is issued with, a refused move not yet checked."""

    def __init__(self) -> None:
        repo = _repository()
        self.schedule = certificates.schedule_from_policy(repo.scheme.certificate if repo.scheme else None)
        self.events: list[certificates.Event] = []
        self.refusal: certificates.TransitionRefused | None = None
        self.decisions = 0


def _run(ctx: Context) -> CertificateRun:
    run = getattr(ctx, "certificate_run", None)
    if run is None:
        run = CertificateRun()
        ctx.certificate_run = run  # type: ignore[attr-defined]
    return run


def _refusal_expected(ctx: Context) -> bool:
    scenario, step_now = ctx.scenario, ctx.step
    if scenario is None or step_now is None:
        return False
    for s in scenario.steps:
        if s.line_number <= step_now.line_number:
            continue
        if s.type == "then" and re.search(r"\bis\s+refused\b", s.name):
            return True
        if s.type != "then":
            return False
    return False


def _facts(ctx: Context) -> certificates.DecisionFacts:
    decision = ctx.need_decision()
    run = _run(ctx)
    run.decisions += 1
    return certificates.DecisionFacts.from_decision_dict(decision.to_dict(), f"decision-{run.decisions}")


def _move(ctx: Context, event: certificates.Event) -> None:
    run = _run(ctx)
    if run.refusal is not None:
        raise StepFailure("", "", diagnostics=[*run.refusal.diagnostics, Diagnostic(
            "bdd_expectation_failed", "an earlier move was refused and no step checked it", None, None, None,
            "add `Then the move is refused with <code>` after it")])
    try:
        certificates.check(run.events, event)
    except certificates.TransitionRefused as e:
        if not _refusal_expected(ctx):
            raise StepFailure("", "", diagnostics=[*e.diagnostics, Diagnostic(
                "bdd_certificate_move_refused", f"the `{event.kind}` move was refused", None, None, None,
                "when the refusal is the point, add `Then the move is refused with <code>`")]) from None
        run.refusal = e
        return
    run.events.append(event)


@step("given", "the certificate schedule sets the {setting:text} to {period:text}")
def _schedule(ctx: Context, setting: str, period: str) -> None:
    name = _SCHEDULE_NAMES.get(" ".join(unquote(setting).lower().split()))
    if name is None:
        raise StepFailure("bdd_reference_error", f"unknown schedule setting `{setting}`",
                          hint=did_you_mean(unquote(setting), _SCHEDULE_NAMES))
    m = re.fullmatch(r"(\d+)\s+(day|days|month|months|year|years)", unquote(period).strip())
    if m is None:
        raise StepFailure("bdd_value_error", f"`{period}` is not a period", hint="write e.g. `3 months` or `1 year`")
    unit = m.group(2) if m.group(2).endswith("s") else m.group(2) + "s"
    run = _run(ctx)
    value = certificates.Period(int(m.group(1)), unit, "default", f"{ctx.file}:{ctx.here().line}")  # type: ignore[arg-type]
    run.schedule = run.schedule.with_overrides({name: value})


@step("when", "a certificate is issued on {date:date}", "the certification body issues a certificate on {date:date}")
def _issue(ctx: Context, date: str) -> None:
    run = _run(ctx)
    _move(ctx, certificates.Event("issued", parse_date(date), decision=_facts(ctx), schedule=run.schedule))


@step("when", "surveillance is recorded on {date:date}[ with the deadline {deadline:date}]")
def _surveil(ctx: Context, date: str, deadline: str | None = None) -> None:
    _move(ctx, certificates.Event("surveillance_recorded", parse_date(date), decision=_facts(ctx),
                                  deadline=parse_date(deadline) if deadline else None))


@step("when", "the certificate is suspended on {date:date}[ with the deadline {deadline:date}] because {reason:text}")
def _suspend(ctx: Context, date: str, reason: str, deadline: str | None = None) -> None:
    _move(ctx, certificates.Event("suspended", parse_date(date), unquote(reason),
                                  deadline=parse_date(deadline) if deadline else None))


@step("when", "the certificate is restored on {date:date}")
def _restore(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("restored", parse_date(date), decision=_facts(ctx)))


@step("when", "the certificate is revoked on {date:date} because {reason:text}",
      "the certificate is cancelled on {date:date} because {reason:text}")
def _end(ctx: Context, date: str, reason: str) -> None:
    kind = "revoked" if re.search(r"\brevoked\b", ctx.step.name if ctx.step is not None else "") else "cancelled"
    _move(ctx, certificates.Event(kind, parse_date(date), unquote(reason)))


@step("when", "the certificate scope is extended on {date:date}")
def _extend(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("scope_extended", parse_date(date), decision=_facts(ctx)))


@step("when", "the certificate scope is reduced on {date:date} by the model[s] {models:list}")
def _reduce(ctx: Context, date: str, models: str) -> None:
    _move(ctx, certificates.Event("scope_reduced", parse_date(date), models=tuple(parse_list(models))))


@step("when", "the certificate is converted on {date:date}")
def _convert(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("converted", parse_date(date), decision=_facts(ctx)))


@step("when", "the certificate's expiry is recorded on {date:date}")
def _expire(ctx: Context, date: str) -> None:
    _move(ctx, certificates.Event("expired", parse_date(date)))


def _status(ctx: Context, date: str) -> certificates.Status:
    run = _run(ctx)
    if not run.events:
        raise StepFailure("bdd_missing_context", "no certificate has been issued",
                          hint="add `When a certificate is issued on <date>` before the Then steps")
    return certificates.status_as_of(run.events, parse_date(date))


@step("then", "the certificate is {state:state} on {date:date}")
def _state(ctx: Context, state: str, date: str) -> None:
    status = _status(ctx, date)
    expected = _STATE_WORDS[" ".join(state.lower().split())]
    detail = f"since {status.since}" + (f": {status.reason}" if status.reason else "") if status.since else None
    _expect(status.state, expected, f"the certificate's state on {date}", detail)


@step("then", "the suspension deadline is {deadline:date} and is missed on {date:date}")
def _missed(ctx: Context, deadline: str, date: str) -> None:
    status = _status(ctx, date)
    _expect(str(status.suspension_deadline), parse_date(deadline).isoformat(), "the suspension deadline")
    if not status.deadline_missed:
        raise StepFailure("bdd_expectation_failed", f"the suspension deadline is not missed on {date}")


@step("then", "on {date:date} the certificate covers the model[s] {models:list}")
def _covers(ctx: Context, date: str, models: str) -> None:
    facts = _status(ctx, date).facts
    got = ", ".join(facts.models) if facts else "nothing"
    _expect(got, ", ".join(parse_list(models)), f"the models covered on {date}")


@step("then", "on {date:date} the certificate applies {edition:text}")
def _cert_edition(ctx: Context, date: str, edition: str) -> None:
    facts = _status(ctx, date).facts
    name = unquote(edition)
    if facts is None or name not in (facts.standard, facts.ruleset_id):
        raise StepFailure("bdd_expectation_failed", f"on {date} the certificate applies "
                          f"`{facts.standard if facts else 'nothing'}`, not `{name}`")


@step("then", "the certificate is valid until {date:date}")
def _valid_until(ctx: Context, date: str) -> None:
    facts = _status(ctx, date).facts
    _expect(str(facts.valid_until if facts else None), parse_date(date).isoformat(), "the last day of validity")


@step("then", "the move is refused with {code}", "the move is refused because {text:text}")
def _refused(ctx: Context, code: str | None = None, text: str | None = None) -> None:
    run = _run(ctx)
    refusal, run.refusal = run.refusal, None
    if refusal is None:
        raise StepFailure("bdd_expectation_failed", "the move was not refused: it was recorded")
    if code is not None and unquote(code) not in [d.code for d in refusal.diagnostics]:
        raise StepFailure("bdd_expectation_failed", f"the move was refused, but not with `{unquote(code)}`",
                          hint="it was refused with " + ", ".join(f"`{d.code}`: {d.message}"
                                                                 for d in refusal.diagnostics))
    if text is not None and unquote(text) not in " ".join(d.message for d in refusal.diagnostics):
        raise StepFailure("bdd_expectation_failed", f"the move was refused, but the reason does not say "
                          f"`{unquote(text)}`", hint="it says: " + "; ".join(d.message for d in refusal.diagnostics))


# ---------------------------------------------------------------------------------------------- failures as data
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.stash[_SCENARIO] = (feature, scenario)


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                           step_func: Any) -> None:
    request.node.stash[_STEP] = step


@pytest.hookimpl(trylast=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any,
                          step_func_args: Any, exception: BaseException) -> None:
    """An author's mistake or a failed expectation: `file:line: code: message (fix)`, no traceback."""
    if isinstance(exception, DiagnosticError):
        exception = StepFailure("", "", diagnostics=exception.diagnostics)
    if not isinstance(exception, StepFailure):
        return  # a bug in the step library itself: keep the traceback
    file = _display(feature.filename)
    text = render_failure(exception.located(file, step.line_number), scenario.name, f"{step.keyword} {step.name}")
    _fail(text)


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                                      exception: BaseException) -> None:
    file = _display(feature.filename)
    text = step.name
    other = [kind for kind, template in STEPS if kind != step.type and re.fullmatch(_regex(template), text)]
    if other:
        hint = f"this sentence is a `{other[0].capitalize()}` step: write it after `{other[0].capitalize()}`"
    else:
        same = [template for kind, template in STEPS if kind == step.type]
        close = difflib.get_close_matches(text, same, n=3, cutoff=0.6)
        hint = ("did you mean " + " or ".join(f"`{c}`" for c in close) + "? " if close else "") + \
            "the sentences the kit understands are listed in docs/authoring.md, section `Step reference`"
    d = Diagnostic("bdd_unknown_step", f"no step matches `{step.keyword} {text}`", file, step.line_number, None, hint)
    _fail(render_failure([d], scenario.name))


def _fail(text: str) -> None:
    """Fail the scenario with `text` only: no traceback, no "during handling of the above exception"."""
    try:
        pytest.fail(text, pytrace=False)
    except pytest.fail.Exception as failure:
        raise failure from None


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Any:
    """Feature tags (`@coatings`) become markers without registering each one (the project runs --strict-markers)."""
    if _config is not None:
        _config.addinivalue_line("markers", f"{tag}: a feature tag")
    return getattr(pytest.mark, tag)(function)


# ---------------------------------------------------------------------------------------------- coverage
_config: pytest.Config | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bdd-coverage", metavar="PATH", default=None,
                     help="write the criterion coverage of the features to PATH (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    config.stash[_RECORDER] = Recorder()


_RECORDED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    """Each scenario's outcome, and what it exercised when it passed, for the coverage file."""
    outcome = yield
    report = outcome.get_result()
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    recorder = item.config.stash.get(_RECORDER, None)
    if recorder is None or item.stash.get(_RECORDED, False):
        return
    feature, scenario = item.stash.get(_SCENARIO, (None, None))
    context = item.stash.get(_CONTEXT, None)
    # the Examples row as written (pytest escapes non-ASCII characters in its own test ids)
    row = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example")
    example = "-".join(str(v) for v in row.values()) if isinstance(row, dict) and row else None
    if scenario is not None:
        file = _display(feature.filename)
        ref = f"{file}:{scenario.line_number}" + (f"[{example}]" if example else "")
        run = ScenarioRun(ref, scenario.name, file, scenario.line_number, report.outcome)
    else:
        run = ScenarioRun(item.nodeid, item.name, str(item.path), 0, report.outcome)
    if report.failed:
        text = report.longreprtext.strip()
        run.message = text.splitlines()[0] if text else "failed"
    if context is not None and report.passed:
        run.exercised = list(context.exercised)
    recorder.add(run)
    item.stash[_RECORDED] = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import os

    path = session.config.getoption("bdd_coverage", default=None) or os.environ.get(ENV_COVERAGE)
    recorder = session.config.stash.get(_RECORDER, None)
    if path and recorder is not None:
        errors: list[str] = []
        try:
            repo = _repository()
            coverage = compute(repo, recorder.exercised())
        except StepFailure as e:
            errors = [str(d) for d in e.diagnostics]
            coverage = []
        write(Path(path), report_data(coverage, recorder.scenarios, errors))
    for repo_or_error in _repositories.values():
        if isinstance(repo_or_error, Repository):
            repo_or_error.close()
    _repositories.clear()
    _loaded.clear()
