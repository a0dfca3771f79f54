"""One scenario's context: the catalogue and rule sets loaded once per session (per overlay set), the application being
described, the decision it got and what its checks exercised; the `ctx` fixture."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from engine import (
    CriterionResult,
    Decision,
    Diagnostic,
    DiagnosticError,
    LabelResult,
    LoadResult,
    Repository,
    RequirementResult,
    apply_overlays,
    did_you_mean,
    load,
)
from engine.bdd.coverage import Recorder, repository_paths
from engine.bdd.draft import ApplicationDraft, Where
from engine.bdd.errors import StepFailure
from engine.bdd.values import unquote

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


def _rows(ctx: Context, datatable: list[list[str]] | None, header_words: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    if not datatable:
        raise StepFailure("bdd_table_error", "this step needs a table under it",
                          hint="add the rows as `| ... | ... |` lines right below the step")
    rows = [(i, [str(c).strip() for c in row]) for i, row in enumerate(datatable)]
    if rows and rows[0][1] and rows[0][1][0].lower() in header_words:
        rows = rows[1:]
    return rows


def _criterion_detail(c: CriterionResult) -> str:
    parts = [f"requirement {c.requirement}"]
    if c.measured is not None:
        shown = "not detected at" if c.measured.not_detected else "measured"
        parts.append(f"{shown} {c.measured.value:g} {c.measured.unit or ''}".rstrip()
                     if isinstance(c.measured.value, float) else f"{shown} {c.measured.value}")
    if c.reason:
        parts.append(f"reason `{c.reason}`" + (f": {c.detail}" if c.detail else ""))
    return "; ".join(parts)
