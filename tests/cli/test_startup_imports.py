"""What a `greencert` command imports: nothing heavy before it is needed (issue 19).

Each command runs in a new interpreter (`python -c`, greencert_cli's main, then the sorted `sys.modules`), as the
console script runs it; the assertions name the packages that must not be there. Each test has its own units cache
(XDG_CACHE_HOME), so whether pint is imported depends on what that test ran before, not on other runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT

# the web service's stack: only `serve`, `migrate` and `keys` may import it
SERVICE = ("fastapi", "uvicorn", "starlette", "sqlalchemy", "alembic")
# units: pint (which brings numpy when it is installed) only when a unit is parsed
UNITS = ("pint", "numpy")

PROBE = """
import contextlib, io, json, sys
from greencert_cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GREENCERT_UNITS_CACHE"}
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def _modules(*argv: str, cache: Path) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, env=_env(cache))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_help_imports_no_layer_at_all(tmp_path: Path) -> None:
    code, modules = _modules("--help", cache=tmp_path)
    assert code == 0
    top = _top(modules)
    assert not top & {*SERVICE, *UNITS, "engine", "api", "pydantic", "yaml", "jsonschema", "rich", "durable_rules"}
    assert "greencert_cli" in top


@pytest.mark.parametrize("argv", [["validate"], ["catalog"], ["check", "examples/coatings/granted.yaml",
                                                               "--as-of", "2026-11-01"], ["features", "--help"]])
def test_engine_commands_never_import_the_service(argv: list[str], tmp_path: Path) -> None:
    code, modules = _modules(*argv, cache=tmp_path)
    assert code == 0
    assert "engine.loader" in modules  # the command did run
    assert not _top(modules) & set(SERVICE), sorted(_top(modules) & set(SERVICE))
    assert "api" not in _top(modules)


@pytest.mark.parametrize("argv", [["validate"], ["validate", "catalogs/stone.yaml"], ["catalog"],
                                  ["check", "examples/coatings/granted.yaml", "--as-of", "2026-11-01"]])
def test_pint_only_for_a_unit_not_seen_before(argv: list[str], tmp_path: Path) -> None:
    # the shipped catalogue's units: pint parses them once, then this user's units cache answers
    _, first = _modules(*argv, cache=tmp_path)
    assert "pint" in first
    assert list((tmp_path / "greencert").glob("units-*.json"))
    code, again = _modules(*argv, cache=tmp_path)
    assert code == 0
    assert not _top(again) & set(UNITS)


def test_a_service_command_imports_the_service(tmp_path: Path) -> None:
    # the other side of the line: `keys --help` builds the key commands' arguments (their roles, the default database)
    code, modules = _modules("keys", "--help", cache=tmp_path)
    assert code == 0
    assert {"api.db", "sqlalchemy"} <= modules


def test_importtime_of_help_shows_no_heavy_package(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "greencert_cli", "--help"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "greencert_cli.main" in imported
    assert not _top(imported) & {*SERVICE, *UNITS, "engine", "api", "pydantic"}


UNIT_PROBE = """
import json, sys
import engine.units as u
before = "pint" in sys.modules
out = {"factor": u.conversion("g/kg", "mg/kg"), "value": u.convert(12.4, "g/kg", "mg/kg")}
try:
    u.conversion("mg/kg", "m^3")
except u.IncompatibleUnits as e:
    out["incompatible"] = str(e)
try:
    u.check_unit("furlongs per fortnightly")
except u.UnitError as e:
    out["unknown"] = str(e)
u.check_unit("mg/m^3")
print(json.dumps({**out, "pint_before": before, "pint_after": "pint" in sys.modules}))
"""


def _units(env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", UNIT_PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout))


def test_the_units_cache_gives_pints_answers(tmp_path: Path) -> None:
    cold = _units(_env(tmp_path))
    assert cold["pint_before"] is False and cold["pint_after"] is True
    assert cold["factor"] == [1000.0, 0.0] and cold["value"] == 12400.0
    assert cold["incompatible"] == "`mg/kg` cannot convert to `m^3`" and "furlongs" in str(cold["unknown"])
    # a unit pint rejected is not remembered: pint is asked again (and rejects it again); everything else is answered
    warm = _units(_env(tmp_path))
    assert {k: v for k, v in warm.items() if k != "pint_after"} == {k: v for k, v in cold.items() if k != "pint_after"}
    [cache] = (tmp_path / "greencert").glob("units-*.json")
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert "mg/m^3" in data["units"] and "furlongs per fortnightly" not in data["units"]
    assert ["mg/kg", "m^3", None, None] in data["conversions"] and ["g/kg", "mg/kg", 1000.0, 0.0] in data["conversions"]
    # a damaged file is ignored (and written again), the answers the same
    cache.write_text("{not json", encoding="utf-8")
    assert {k: v for k, v in _units(_env(tmp_path)).items() if k != "pint_after"} == \
        {k: v for k, v in cold.items() if k != "pint_after"}
    assert json.loads(cache.read_text(encoding="utf-8"))["units"]
    # and turned off, pint answers every time
    off = _units({**_env(tmp_path / "off"), "GREENCERT_UNITS_CACHE": "0"})
    assert off["pint_after"] is True and not (tmp_path / "off").exists()


def test_python_m_engine_cli_still_runs_the_whole_command_line() -> None:
    # kept for scripts written before greencert_cli: the same parser, the service's commands included
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "--help"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "serve" in proc.stdout and "features" in proc.stdout and "validate" in proc.stdout
