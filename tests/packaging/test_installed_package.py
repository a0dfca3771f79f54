"""A non-editable install works away from the checkout: `pip install .` into a new virtual environment, then
`greencert validate` and `greencert check` on an example find the shipped catalogue and rule sets inside the
installed package (engine/shipped/, put there by setup.py), not through the source tree.

One build and install (GREENCERT_PURE_PYTHON=1: no mypyc), on a copy of the project's files. The new environment
borrows the test environment's third-party packages through a path file (no network, seconds instead of minutes);
path files inside a borrowed directory are not read, so the test environment's editable install of greencert does
not leak in, which the test checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT

pytestmark = pytest.mark.install

FILES = ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in")
TREES = ("engine", "api", "greencert_cli", "catalogs", "rules")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"
    src.mkdir()
    for name in FILES:
        shutil.copy2(PROJECT_ROOT / name, src / name)
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "_evaluator_build.json", "shipped")
    for tree in TREES:
        shutil.copytree(PROJECT_ROOT / tree, src / tree, ignore=ignore)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    environ["GREENCERT_PURE_PYTHON"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--no-index", str(src)], cwd=tmp, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return env_dir


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("GREENCERT_")}


def test_the_installed_package_finds_its_own_catalogue_and_rules(installed: Path, tmp_path: Path) -> None:
    code = ("import json, engine, engine.loader as l; print(json.dumps([engine.__file__, str(l.default_catalog_dir()), "
            "str(l.default_rules_dir())]))")
    proc = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    module, catalogs, rules = (Path(p) for p in json.loads(proc.stdout))
    site = module.parent.parent
    assert not module.is_relative_to(PROJECT_ROOT)  # the installed copy, not the checkout
    assert catalogs == site / "engine" / "shipped" / "catalogs" and rules == site / "engine" / "shipped" / "rules"
    shipped = sorted(p.name for p in (PROJECT_ROOT / "catalogs").glob("*.yaml"))
    assert sorted(p.name for p in catalogs.glob("*.yaml")) == shipped
    assert len(list(rules.rglob("*.yaml"))) == len(list((PROJECT_ROOT / "rules").rglob("*.yaml")))


def test_validate_and_check_run_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    greencert = installed / "bin" / "greencert"
    proc = subprocess.run([str(greencert), "validate"], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rulesets = len(list((PROJECT_ROOT / "rules").rglob("*.yaml")))
    assert f"{rulesets} rule set(s), 0 problem(s)" in proc.stdout
    example = PROJECT_ROOT / "examples" / "coatings" / "granted.yaml"
    proc = subprocess.run([str(greencert), "check", str(example), "--as-of", "2026-11-01", "--format", "json"],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    decision = json.loads(proc.stdout)
    assert decision["outcome"] == "granted"
