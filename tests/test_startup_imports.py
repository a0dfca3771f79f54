"""What a `greencert` command imports: nothing heavy before it is needed (issue 19).

Each command runs in a new interpreter (`python -c`, greencert_cli's main, then the sorted `sys.modules`), as the
console script runs it; the assertions name the packages that must not be there."""

from __future__ import annotations

import json
import subprocess
import sys

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


def _modules(*argv: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.partition(".")[0] for m in modules}


def test_help_imports_no_layer_at_all() -> None:
    code, modules = _modules("--help")
    assert code == 0
    top = _top(modules)
    assert not top & {*SERVICE, *UNITS, "engine", "api", "pydantic", "yaml", "jsonschema", "rich", "durable_rules"}
    assert "greencert_cli" in top


@pytest.mark.parametrize("argv", [["validate"], ["catalog"], ["check", "examples/coatings/granted.yaml",
                                                               "--as-of", "2026-11-01"], ["features", "--help"]])
def test_engine_commands_never_import_the_service(argv: list[str]) -> None:
    code, modules = _modules(*argv)
    assert code == 0
    assert "engine.loader" in modules  # the command did run
    assert not _top(modules) & set(SERVICE), sorted(_top(modules) & set(SERVICE))
    assert "api" not in _top(modules)


def test_a_service_command_imports_the_service() -> None:
    # the other side of the line: `keys --help` builds the key commands' arguments (their roles, the default database)
    code, modules = _modules("keys", "--help")
    assert code == 0
    assert {"api.db", "sqlalchemy"} <= modules


def test_importtime_of_help_shows_no_heavy_package() -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "greencert_cli", "--help"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "greencert_cli.main" in imported
    assert not _top(imported) & {*SERVICE, *UNITS, "engine", "api", "pydantic"}


def test_the_unit_registry_is_built_when_first_needed() -> None:
    code = ("import sys; import engine.units as u; before = 'pint' in sys.modules; "
            "u.convert(1.0, 'g/kg', 'mg/kg'); print(before, 'pint' in sys.modules, u.convert(12.4, 'g/kg', 'mg/kg'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["False", "True", "12400.0"]


def test_python_m_engine_cli_still_runs_the_whole_command_line() -> None:
    # kept for scripts written before greencert_cli: the same parser, the service's commands included
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "--help"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "serve" in proc.stdout and "features" in proc.stdout and "validate" in proc.stdout
