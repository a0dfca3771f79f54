"""Which evaluator runs: the C extension that `pip install` compiles from `engine/evaluator.py` with mypyc, or,
when that is absent, stale or switched off, the source itself.

`engine/evaluator.py` is the one source of the evaluation stages. setup.py compiles it with mypyc into
`engine/evaluator.<abi>.so` (about 1.25x the decisions per second, measured in benchmarks/bench_engine.py) and
records the SHA-256 of the source it compiled in `engine/_evaluator_build.json`. Python prefers an extension
module to a source file of the same name, so an edited `evaluator.py` would silently lose to an old build:
`select()` (run when this module is imported, which `engine/__init__.py` does first) checks the recorded hash against
the source as it is now and loads the source instead when they differ, with a warning that says how to rebuild.

GREENCERT_PURE_PYTHON=1 at install time builds no extension; at run time it makes `select()` load the source.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

__all__ = ["BUILD_RECORD", "EVALUATOR", "SOURCE", "compiled", "evaluator_status", "load_source", "select"]

MODULE = "engine.evaluator"
SOURCE = Path(__file__).with_name("evaluator.py")
BUILD_RECORD = Path(__file__).with_name("_evaluator_build.json")
PURE_ENV = "GREENCERT_PURE_PYTHON"

EVALUATOR = "not selected yet"  # what `select()` chose, in words; `compiled()` says it as a bool


class StaleBuildWarning(UserWarning):
    """The compiled evaluator was built from another version of evaluator.py; the source runs instead."""


def source_hash(path: Path = SOURCE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def built_extension() -> Path | None:
    """The compiled evaluator next to the source, if one was built for this interpreter."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = SOURCE.with_name("evaluator" + suffix)
        if candidate.exists():
            return candidate
    return None


def _recorded_hash() -> str | None:
    try:
        record = json.loads(BUILD_RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = record.get("source_sha256") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


def load_source(name: str = MODULE) -> ModuleType:
    """Import evaluator.py from source as module `name` (in package `engine`), whatever is compiled."""
    spec = importlib.util.spec_from_file_location(name, SOURCE)
    if spec is None or spec.loader is None:  # pragma: no cover - the file is part of the package
        raise ImportError(f"cannot load {SOURCE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def select() -> str:
    """Decide which evaluator `import engine.evaluator` gives, once per process; say which, in words."""
    global EVALUATOR
    if MODULE in sys.modules:
        return EVALUATOR
    extension = built_extension()
    if os.environ.get(PURE_ENV) == "1":
        EVALUATOR = f"source ({PURE_ENV}=1)"
        if extension is not None:
            load_source()
    elif extension is None:
        EVALUATOR = "source (no compiled evaluator is built here)"
    elif not SOURCE.exists():
        EVALUATOR = f"compiled ({extension.name}; no source to check it against)"
    else:
        recorded = _recorded_hash()
        if recorded == source_hash():
            EVALUATOR = f"compiled ({extension.name})"
        else:
            EVALUATOR = ("source (the compiled evaluator was built from another version of evaluator.py)"
                         if recorded else f"source (the compiled evaluator has no build record, {BUILD_RECORD.name})")
            warnings.warn(f"{extension} cannot be shown to be built from {SOURCE} as it is now, so the source runs "
                          "instead (slower); rebuild it with `pip install -e .`", StaleBuildWarning, stacklevel=4)
            load_source()
    return EVALUATOR


def evaluator_status() -> str:
    return EVALUATOR


def compiled() -> bool:
    module = sys.modules.get(MODULE)
    return module is not None and not str(getattr(module, "__file__", "")).endswith(".py")


select()  # at import, which engine/__init__.py does before anything else
