"""setup.py runs mypyc only when extensions are built, once per version of the sources: asking for the metadata
(the PEP 517 hooks pip calls first) compiles nothing, a second build of the same sources copies the first from
build/greencert-ext/, a changed source is compiled again, a mypyc failure installs the sources, and
GREENCERT_PURE_PYTHON=1 builds nothing. Run through setuptools' PEP 517 backend as pip runs it, on a copy of the
project, with a stand-in `mypyc` that logs each call and compiles two tiny C modules in place of the real ones
(the real build is checked by CI: `.ci/run` installs with mypyc and fails unless the compiled modules are in use)."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT

FAKE_MYPYC = '''
import os
from pathlib import Path
from setuptools import Extension

def mypycify(paths, **options):
    with open(os.environ["FAKE_MYPYC_LOG"], "a") as log:
        log.write(" ".join(p for p in paths if p.endswith(".py")) + "\\n")
    if os.environ.get("FAKE_MYPYC_MODE") == "fail":
        raise SystemExit("engine/evaluator.py:1: error: a type error mypy found")
    out = []
    for name in ("compiler", "evaluator"):
        c = Path("build") / "fake" / f"{name}.c"
        c.parent.mkdir(parents=True, exist_ok=True)
        c.write_text(
            "#include <Python.h>\\n"
            f"static struct PyModuleDef m = {{PyModuleDef_HEAD_INIT, \\"{name}\\", NULL, -1, NULL}};\\n"
            f"PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&m); }}\\n")
        out.append(Extension(f"engine.{name}", sources=[str(c)]))
    return out
'''

HOOKS = textwrap.dedent('''
    import os, sys
    from setuptools import build_meta as backend
    step = sys.argv[1]
    if step == "metadata":
        print("requires", backend.get_requires_for_build_editable())
        os.makedirs("meta", exist_ok=True)
        print("metadata", backend.prepare_metadata_for_build_editable("meta"))
    elif step == "wheel":
        os.makedirs("dist", exist_ok=True)
        print("wheel", backend.build_wheel("dist"))
    else:
        os.makedirs("wheels", exist_ok=True)
        print("wheel", backend.build_editable("wheels"))
''')

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(PROJECT_ROOT / name, root / name)
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "_evaluator_build.json", "shipped")
    # the packages, and the catalogue and rule sets a built package carries (setup.py's build_py)
    for package in ("engine", "api", "greencert_cli", "catalogs", "rules"):
        shutil.copytree(PROJECT_ROOT / package, root / package, ignore=ignore)
    fake = tmp_path / "fake" / "mypyc"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "build.py").write_text(FAKE_MYPYC)
    (root / "hooks.py").write_text(HOOKS)
    return root


def _run(project: Path, step: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "GREENCERT_PURE_PYTHON"}
    environ.update(PYTHONPATH=str(project.parent / "fake"), FAKE_MYPYC_LOG=str(project.parent / "mypyc.log"), **env)
    proc = subprocess.run([sys.executable, "hooks.py", step], cwd=project, env=environ, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _mypyc_calls(project: Path) -> int:
    log = project.parent / "mypyc.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def _built(project: Path) -> dict[str, bytes]:
    return {m: (project / "engine" / f"{m}{SUFFIX}").read_bytes() for m in ("compiler", "evaluator")
            if (project / "engine" / f"{m}{SUFFIX}").exists()}


def _record(project: Path) -> dict[str, str] | None:
    path = project / "engine" / "_evaluator_build.json"
    return json.loads(path.read_text())["sources"] if path.exists() else None


def _hashes(project: Path) -> dict[str, str]:
    import hashlib

    return {f"engine/{m}.py": hashlib.sha256((project / "engine" / f"{m}.py").read_bytes()).hexdigest()
            for m in ("compiler", "evaluator")}


def test_asking_for_the_metadata_runs_no_mypyc(project: Path) -> None:
    proc = _run(project, "metadata")
    assert "metadata greencert-" in proc.stdout
    assert _mypyc_calls(project) == 0 and _built(project) == {} and not (project / "build" / "mypyc").exists()


def test_a_second_build_of_the_same_sources_copies_the_first_and_a_changed_source_is_compiled(project: Path) -> None:
    first = _run(project, "build")
    assert _mypyc_calls(project) == 1 and "compiling engine/compiler.py and engine/evaluator.py" in first.stderr
    built = _built(project)
    assert set(built) == {"compiler", "evaluator"} and _record(project) == _hashes(project)
    cached = [p for p in (project / "build" / "greencert-ext").iterdir() if p.is_dir()]
    assert len(cached) == 1 and (cached[0] / "manifest.json").exists()

    for path in (project / "engine").glob(f"*{SUFFIX}"):
        path.unlink()
    (project / "engine" / "_evaluator_build.json").unlink()
    again = _run(project, "build")
    assert _mypyc_calls(project) == 1, "the same sources were compiled twice"
    assert "not compiling again" in again.stderr
    assert _built(project) == built and _record(project) == _hashes(project)

    with (project / "engine" / "evaluator.py").open("a") as f:
        f.write("# changed\n")
    _run(project, "build")
    assert _mypyc_calls(project) == 2 and _record(project) == _hashes(project)
    assert len([p for p in (project / "build" / "greencert-ext").iterdir() if p.is_dir()]) == 2

    with (project / "engine" / "decision.py").open("a") as f:  # a module they import: its types may have changed
        f.write("# changed\n")
    _run(project, "build")
    assert _mypyc_calls(project) == 3


def test_a_mypyc_failure_installs_the_sources_without_a_record(project: Path) -> None:
    (project / "engine" / "_evaluator_build.json").write_text('{"sources": {}}')  # a record of an earlier build
    proc = _run(project, "build", FAKE_MYPYC_MODE="fail")
    assert _mypyc_calls(project) == 1
    assert "greencert: not compiled (SystemExit: engine/evaluator.py:1: error" in proc.stderr
    assert _built(project) == {} and _record(project) is None


def test_pure_python_builds_nothing_and_removes_the_record(project: Path) -> None:
    (project / "engine" / "_evaluator_build.json").write_text('{"sources": {}}')
    _run(project, "metadata", GREENCERT_PURE_PYTHON="1")
    _run(project, "build", GREENCERT_PURE_PYTHON="1")
    assert _mypyc_calls(project) == 0 and _built(project) == {} and _record(project) is None


def test_a_wheel_carries_the_extensions_and_their_record(project: Path) -> None:
    import zipfile

    (project / "engine" / "_evaluator_build.json").write_text('{"sources": {}}')  # stale: must not ship
    _run(project, "wheel")
    (wheel,) = (project / "dist").glob("greencert-*.whl")
    assert not wheel.name.endswith("-none-any.whl")  # tagged for this platform
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert {f"engine/compiler{SUFFIX}", f"engine/evaluator{SUFFIX}", "engine/compiler.py"} <= names
        assert json.loads(z.read("engine/_evaluator_build.json"))["sources"] == _hashes(project)
    assert _mypyc_calls(project) == 1


def test_a_wheel_after_a_mypyc_failure_has_no_extension_and_no_record(project: Path) -> None:
    import zipfile

    (project / "engine" / "_evaluator_build.json").write_text('{"sources": {}}')
    _run(project, "wheel", FAKE_MYPYC_MODE="fail")
    (wheel,) = (project / "dist").glob("greencert-*.whl")
    with zipfile.ZipFile(wheel) as z:  # still tagged for the platform: its files are under .data/purelib/
        names = {n.split("/purelib/")[-1] for n in z.namelist()}
    assert "engine/evaluator.py" in names and "engine/_evaluator_build.json" not in names
    assert not any(n.endswith(SUFFIX) for n in names)
