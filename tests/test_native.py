"""The compiled evaluator (engine/native.py, built by setup.py with mypyc): chosen only when built from the source
as it is, switchable off, and giving exactly the source's decisions."""

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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appgen import AppGenerator

from engine import Application, Repository, native
from engine.evaluator import evaluate, evaluate_batch
from engine.loader import PROJECT_ROOT
from engine.yamlsource import SourceDocument

ENGINE = PROJECT_ROOT / "engine"
PROBE = ("import json, engine, engine.evaluator as e; from engine import native; "
         "print(json.dumps([native.EVALUATOR, e.__file__, native.compiled(), callable(e.evaluate)]))")


def _engine_copy(tmp_path: Path, *, extension: bytes | None, recorded: str | None) -> Path:
    """engine/ copied without any build, then given a stand-in extension module and a build record."""
    root = tmp_path / "copy"
    shutil.copytree(ENGINE, root / "engine", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__",
                                                                              "_evaluator_build.json"))
    if extension is not None:
        (root / "engine" / ("evaluator" + importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(extension)
    if recorded is not None:
        (root / "engine" / "_evaluator_build.json").write_text(json.dumps({"source_sha256": recorded}))
    return root


def _probe(root: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[Any] | None]:
    environ = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    environ.update(PYTHONPATH=str(root), **env)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=root, env=environ, capture_output=True, text=True,
                          timeout=120)
    return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)


# A stand-in for a compiled module: importing it fails, so a probe that succeeds proves it was not imported
NOT_AN_EXTENSION = b"not a shared object"


def test_a_build_of_another_source_is_not_used_and_says_so(tmp_path: Path) -> None:
    root = _engine_copy(tmp_path, extension=NOT_AN_EXTENSION, recorded="0" * 64)
    proc, seen = _probe(root)
    assert proc.returncode == 0, proc.stderr
    assert seen is not None and seen[1].endswith("evaluator.py") and seen[2] is False and seen[3] is True
    assert "another version of evaluator.py" in seen[0]
    assert "StaleBuildWarning" in proc.stderr and "pip install -e ." in proc.stderr


def test_a_build_without_its_record_is_not_used_either(tmp_path: Path) -> None:
    root = _engine_copy(tmp_path, extension=NOT_AN_EXTENSION, recorded=None)
    proc, seen = _probe(root)
    assert proc.returncode == 0, proc.stderr
    assert seen is not None and seen[1].endswith("evaluator.py") and "no build record" in seen[0]
    assert "StaleBuildWarning" in proc.stderr


def test_a_build_of_this_source_is_the_one_imported(tmp_path: Path) -> None:
    root = _engine_copy(tmp_path, extension=NOT_AN_EXTENSION, recorded=native.source_hash())
    proc, _ = _probe(root)
    # the record matches, so Python's own import takes the extension, which here is not loadable
    assert proc.returncode != 0 and "ImportError" in proc.stderr and "evaluator" in proc.stderr


def test_pure_python_switch_loads_the_source_even_over_a_matching_build(tmp_path: Path) -> None:
    root = _engine_copy(tmp_path, extension=NOT_AN_EXTENSION, recorded=native.source_hash())
    proc, seen = _probe(root, **{native.PURE_ENV: "1"})
    assert proc.returncode == 0, proc.stderr
    assert seen is not None and seen[1].endswith("evaluator.py") and seen[2] is False
    assert native.PURE_ENV in seen[0] and "Warning" not in proc.stderr


def test_no_build_means_the_source_without_a_warning(tmp_path: Path) -> None:
    root = _engine_copy(tmp_path, extension=None, recorded=None)
    proc, seen = _probe(root)
    assert proc.returncode == 0, proc.stderr
    assert seen is not None and seen[1].endswith("evaluator.py") and seen[2] is False
    assert "no compiled evaluator" in seen[0] and "Warning" not in proc.stderr


def test_this_process_runs_what_select_reported() -> None:
    extension = native.built_extension()
    expected = (extension is not None and os.environ.get(native.PURE_ENV) != "1"
                and json.loads(native.BUILD_RECORD.read_text())["source_sha256"] == native.source_hash())
    assert native.compiled() == expected
    assert native.evaluator_status().startswith("compiled" if expected else "source")


def test_compiled_and_source_give_the_same_decisions() -> None:
    """Every shipped rule set, 400 generated applications each, through `evaluate` and `evaluate_batch` of the
    evaluator in use and of evaluator.py loaded from source: identical decisions. (Where no build exists the
    two are the same code; CI builds one and checks it is in use.)"""
    source = native.load_source("engine._evaluator_source_test")
    repo = Repository.load()
    compared = 0
    try:
        for rid in sorted(repo.rulesets):
            rs = repo.rulesets[rid]
            gen = AppGenerator(rs, repo.categories[rs.category], repo.editions(rs.category))
            groups: dict[tuple[str, Any], list[tuple[Any, Application, str | None]]] = {}
            for seed in range(400):
                g = gen.generate(seed)
                app = Application.model_validate(g.data)
                try:
                    compiled, checked, unit = repo.prepare(app, SourceDocument("<generated>", g.data, {}, {}), g.as_of)
                except Exception:  # noqa: BLE001 - an application intake refuses is not evaluated by either
                    continue
                ours = evaluate(compiled, checked, g.as_of, unit=unit)
                theirs = source.evaluate(compiled, checked, g.as_of, unit=unit)
                assert ours == theirs, f"{rid} seed {seed}"
                assert ours.to_dict() == theirs.to_dict()
                groups.setdefault((compiled.ruleset.id, g.as_of), []).append((compiled, checked, unit))
                compared += 1
            for (_, as_of), entries in groups.items():
                pairs = [(app, unit) for _, app, unit in entries]
                assert evaluate_batch(entries[0][0], pairs, as_of) == source.evaluate_batch(entries[0][0], pairs, as_of)
    finally:
        repo.close()
        sys.modules.pop("engine._evaluator_source_test", None)
    assert compared > 400 * len(repo.rulesets) // 2


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
