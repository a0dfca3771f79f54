"""Binds every feature file to pytest: `scenarios()` over the features folder (or GREENCERT_FEATURES)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from pytest_bdd import scenarios
from pytest_bdd.exceptions import GherkinParseError, NoScenariosFound

from engine import Diagnostic, format_diagnostic
from engine.bdd.coverage import ENV_FEATURES

HERE = Path(__file__).resolve().parent
_SCENARIO_LINE = re.compile(r"^\s*(?:Scenario|Scenario Outline|Scenario Template|Example):\s*(.*?)\s*$")


def _feature_files() -> list[Path]:
    raw = os.environ.get(ENV_FEATURES)
    roots = [Path(p).resolve() for p in raw.split(os.pathsep) if p] if raw else [HERE]
    files: list[Path] = []
    for root in roots:
        files.extend(sorted(root.rglob("*.feature")) if root.is_dir() else [root])
    return files


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _broken(name: str, diagnostic: Diagnostic) -> None:
    """A feature file that cannot be read becomes one failing test that says why; the others still run."""
    def test() -> None:
        pytest.fail(format_diagnostic(diagnostic), pytrace=False)
    test.__name__ = name
    globals()[name] = test


for _file in _feature_files():
    _name = "test_feature_file_" + re.sub(r"\W", "_", _file.stem)
    if not _file.exists():
        _broken(_name, Diagnostic("bdd_feature_error", "no such feature file", _display(_file), None, None,
                                  "check the path given to `greencert features`"))
        continue
    _titles = [m.group(1) for line in _file.read_text(encoding="utf-8").splitlines()
               if (m := _SCENARIO_LINE.match(line))]
    _twice = [t for t, n in Counter(_titles).items() if n > 1]
    if _twice:
        _line = [i for i, line in enumerate(_file.read_text(encoding="utf-8").splitlines(), 1)
                 if (m := _SCENARIO_LINE.match(line)) and m.group(1) == _twice[0]][1]
        _broken(_name, Diagnostic("bdd_feature_error", f"two scenarios are named `{_twice[0]}`", _display(_file),
                                  _line, None, "give every scenario of a feature its own name"))
        continue
    try:
        scenarios(str(_file))
    except GherkinParseError as e:
        _broken(_name, Diagnostic("bdd_feature_error", f"the feature file is not valid Gherkin: {e.message}",
                                  _display(_file), e.line, None, f"line reads `{e.line_content.strip()}`"))
    except NoScenariosFound:
        _broken(_name, Diagnostic("bdd_feature_error", "the feature file has no scenario", _display(_file), None,
                                  None, "add a `Scenario:` or remove the file"))
