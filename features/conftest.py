"""The Gherkin step library for rule authors: every sentence a feature file may use (docs/authoring.md).

The steps live in features/steps/ by subject (grammar, context, application, decision, labels, certificates); this file
loads them (their step definitions are fixtures, which pytest finds here) and holds the hooks: failures as data,
coverage."""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from engine import Diagnostic, DiagnosticError, Repository
from engine.bdd.coverage import ENV_COVERAGE, Recorder, ScenarioRun, compute, report_data, write
from engine.bdd.errors import StepFailure, render_failure
from features.steps.context import (
    _CONTEXT,
    _RECORDER,
    _SCENARIO,
    _STEP,
    _display,
    _loaded,
    _repositories,
    _repository,
    ctx,  # noqa: F401  (the scenario's fixture: pytest finds it here)
)
from features.steps.grammar import STEPS, _regex

# The step modules, in the order of the step reference (docs/authoring.md): STEPS lists the templates in this order.
STEP_MODULES = [importlib.import_module(f"features.steps.{name}")
                for name in ("application", "decision", "labels", "numbers", "certificates")]
# pytest-bdd makes each step definition a fixture of the module that defines it; pytest looks for fixtures here
for _module in STEP_MODULES:
    globals().update({name: value for name, value in vars(_module).items() if name.startswith("pytestbdd_")})


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
