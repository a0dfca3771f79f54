"""The compiled evaluation modules (engine/native.py, built by setup.py with mypyc: compiler.py and evaluator.py):
chosen only when built from the sources as they are, all or none, switchable off, and giving exactly the
sources' decisions."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import Application, Repository, native
from engine.evaluator import evaluate, evaluate_batch
from engine.loader import PROJECT_ROOT
from engine.yamlsource import SourceDocument
from tests.support.appgen import AppGenerator

ENGINE = PROJECT_ROOT / "engine"
PROBE = ("import json, engine, engine.evaluator as e, engine.compiler as c; from engine import native; "
         "print(json.dumps([native.EVALUATOR, e.__file__, native.compiled(), callable(e.evaluate), c.__file__]))")


def _engine_copy(tmp_path: Path, *, extensions: dict[str, bytes], recorded: dict[str, str] | None) -> Path:
    """engine/ copied without any build, then given stand-in extension modules and a build record."""
    root = tmp_path / "copy"
    shutil.copytree(ENGINE, root / "engine", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__",
                                                                              "_evaluator_build.json"))
    for module, content in extensions.items():
        (root / "engine" / (module + importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(content)
    if recorded is not None:
        record = {"sources": {f"engine/{m}.py": h for m, h in recorded.items()}}
        (root / "engine" / "_evaluator_build.json").write_text(json.dumps(record))
    return root


def _current() -> dict[str, str]:
    return {m: native.source_hash(m) for m in native.MODULES}


def _probe(root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[Any] | None]:
    environ = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    environ.update(PYTHONPATH=str(root), **env)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=root, env=environ, capture_output=True, text=True,
                          timeout=120)
    return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)


# A stand-in for a compiled module: importing it fails, so a probe that succeeds proves it was not imported
NOT_AN_EXTENSION = b"not a shared object"
BOTH = {m: NOT_AN_EXTENSION for m in native.MODULES}


def _ran_sources(seen: list[Any] | None) -> bool:
    return seen is not None and seen[1].endswith("evaluator.py") and seen[4].endswith("compiler.py") and not seen[2]


def test_a_build_of_another_source_is_not_used_and_says_so(tmp_path: Path) -> None:
    stale = {**_current(), "compiler": "0" * 64}  # one module edited since the build: neither compiled one runs
    proc, seen = _probe(_engine_copy(tmp_path, extensions=BOTH, recorded=stale))
    assert proc.returncode == 0, proc.stderr
    assert _ran_sources(seen) and seen is not None and seen[3] is True
    assert "another version of compiler.py" in seen[0]
    assert "StaleBuildWarning" in proc.stderr and "pip install -e ." in proc.stderr


def test_a_build_without_its_record_is_not_used_either(tmp_path: Path) -> None:
    proc, seen = _probe(_engine_copy(tmp_path, extensions=BOTH, recorded=None))
    assert proc.returncode == 0, proc.stderr
    assert _ran_sources(seen) and seen is not None and "no build record" in seen[0]
    assert "StaleBuildWarning" in proc.stderr


def test_a_partial_build_is_not_used(tmp_path: Path) -> None:
    proc, seen = _probe(_engine_copy(tmp_path, extensions={"evaluator": NOT_AN_EXTENSION}, recorded=_current()))
    assert proc.returncode == 0, proc.stderr
    assert _ran_sources(seen) and seen is not None and "compiler.py is not" in seen[0]


def test_a_build_of_these_sources_is_the_one_imported(tmp_path: Path) -> None:
    proc, _ = _probe(_engine_copy(tmp_path, extensions=BOTH, recorded=_current()))
    # the record matches, so Python's own import takes the extensions, which here are not loadable
    assert proc.returncode != 0 and "ImportError" in proc.stderr


def test_pure_python_switch_loads_the_sources_even_over_a_matching_build(tmp_path: Path) -> None:
    proc, seen = _probe(_engine_copy(tmp_path, extensions=BOTH, recorded=_current()), **{native.PURE_ENV: "1"})
    assert proc.returncode == 0, proc.stderr
    assert _ran_sources(seen) and seen is not None and native.PURE_ENV in seen[0] and "Warning" not in proc.stderr


def test_no_build_means_the_sources_without_a_warning(tmp_path: Path) -> None:
    proc, seen = _probe(_engine_copy(tmp_path, extensions={}, recorded=None))
    assert proc.returncode == 0, proc.stderr
    assert _ran_sources(seen) and seen is not None and "no compiled evaluator" in seen[0]
    assert "Warning" not in proc.stderr


def test_this_process_runs_what_select_reported() -> None:
    expected = (all(native.built_extension(m) is not None for m in native.MODULES)
                and os.environ.get(native.PURE_ENV) != "1" and native.recorded_hashes() == _current())
    assert native.compiled() == expected
    assert native.EVALUATOR.startswith("compiled" if expected else "source")


def test_compiled_and_source_give_the_same_decisions() -> None:
    """Every shipped rule set, 400 generated applications each, through `evaluate` and `evaluate_batch` of the
    modules in use and of compiler.py and evaluator.py loaded from source: identical decisions. (Where no build
    exists the two are the same code; CI builds one and checks it is in use.)"""
    src = native.load_sources("_source_test")
    repo = Repository.load()
    compared = 0
    try:
        for rid in sorted(repo.rulesets):
            rs = repo.rulesets[rid]
            gen = AppGenerator(rs, repo.categories[rs.category], repo.editions(rs.category))
            ours_compiled = repo.compiled(rid)
            # the same rule set compiled by compiler.py run as source, as Repository.compiled does it
            theirs_compiled = src["compiler"].compile_ruleset(
                rs, repo.categories[rs.category], repo.versions[rid], repo.overlays.get(rid, ()),
                tuple(r for r in repo.editions(rs.category) if r.id != rid))
            groups: dict[Any, list[tuple[Application, str | None]]] = {}
            for seed in range(400):
                g = gen.generate(seed)
                app = Application.model_validate(g.data)
                try:
                    compiled, checked, unit = repo.prepare(app, SourceDocument("<generated>", g.data, {}, {}), g.as_of)
                except Exception:  # noqa: BLE001 - an application intake refuses is not evaluated by either
                    continue
                if compiled is not ours_compiled:  # another edition in force on that date: compared in its turn
                    continue
                ours = evaluate(compiled, checked, g.as_of, unit=unit)
                theirs = src["evaluator"].evaluate(theirs_compiled, checked, g.as_of, unit=unit)
                assert ours == theirs, f"{rid} seed {seed}"
                assert ours.to_dict() == theirs.to_dict()
                groups.setdefault(g.as_of, []).append((checked, unit))
                compared += 1
            for as_of, pairs in groups.items():
                assert evaluate_batch(ours_compiled, pairs, as_of) == src["evaluator"].evaluate_batch(
                    theirs_compiled, pairs, as_of)
            theirs_compiled.close()
    finally:
        repo.close()
        for m in native.MODULES:
            sys.modules.pop(f"engine.{m}_source_test", None)
    assert compared > 400 * len(repo.rulesets) // 4


@pytest.mark.parametrize("bad", ["not-a-date", None])
def test_compiled_evaluator_refuses_a_wrong_type_like_the_source(bad: Any) -> None:
    """mypyc checks argument types at the boundary: a caller's wrong evaluation date is a TypeError there, and
    an AttributeError or TypeError in the source; either way an exception, never a decision."""
    repo = Repository.load()
    try:
        rs = next(iter(repo.rulesets.values()))
        gen = AppGenerator(rs, repo.categories[rs.category], repo.editions(rs.category))
        for seed in range(50):
            g = gen.generate(seed)
            try:
                compiled, checked, unit = repo.prepare(Application.model_validate(g.data),
                                                         SourceDocument("<generated>", g.data, {}, {}), g.as_of)
            except Exception:  # noqa: BLE001
                continue
            with pytest.raises((TypeError, AttributeError)):
                evaluate(compiled, checked, bad, unit=unit)
            return
        raise AssertionError("no generated application passed intake")
    finally:
        repo.close()
