"""Which code evaluates: the C extensions that `pip install` compiles with mypyc from the evaluation's hot modules
(`engine/compiler.py`, whose plans become native classes, and `engine/evaluator.py`), or, when they are absent,
stale or switched off, those modules' source.

The `.py` files stay the one source of truth. setup.py compiles them with mypyc into `engine/<module>.<abi>.so`
(together about 1.4x the decisions per second of the source, measured in benchmarks/bench_engine.py) and records
the SHA-256 of each source it compiled in `engine/_evaluator_build.json`. Python prefers an extension module to
a source file of the same name, so an edited `.py` would silently lose to an old build: `select()` (run when this
module is imported, which `engine/__init__.py` does first) checks the recorded hashes against the sources as they
are now. Unless every compiled module matches, all of them are loaded from source (the compiled evaluator is
built against the compiled plans' layout, so the two never mix), with a warning that says how to rebuild.

GREENCERT_PURE_PYTHON=1 at install time builds no extension; at run time it makes `select()` load the sources.
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

__all__ = ["BUILD_RECORD", "EVALUATOR", "MODULES", "compiled", "load_sources", "select", "source_hash"]

PACKAGE = "engine"
HERE = Path(__file__).resolve().parent
MODULES = ("compiler", "evaluator")  # in import order: the evaluator imports the compiler
BUILD_RECORD = HERE / "_evaluator_build.json"
PURE_ENV = "GREENCERT_PURE_PYTHON"

EVALUATOR = "not selected yet"  # what `select()` chose, in words; `compiled()` says it as a bool


class StaleBuildWarning(UserWarning):
    """The compiled modules were not built from the sources as they are; the sources run instead."""


def source_path(module: str) -> Path:
    return HERE / f"{module}.py"


def source_hash(module: str) -> str:
    return hashlib.sha256(source_path(module).read_bytes()).hexdigest()


def built_extension(module: str) -> Path | None:
    """The compiled `module` next to its source, if one was built for this interpreter."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = HERE / (module + suffix)
        if candidate.exists():
            return candidate
    return None


def recorded_hashes() -> dict[str, str]:
    """module -> the SHA-256 of the source it was compiled from, as the build recorded it."""
    try:
        record = json.loads(BUILD_RECORD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sources = record.get("sources") if isinstance(record, dict) else None
    if not isinstance(sources, dict):
        return {}
    return {Path(k).stem: v for k, v in sources.items() if isinstance(k, str) and isinstance(v, str)}


def _load(module: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, source_path(module))
    if spec is None or spec.loader is None:  # pragma: no cover - the files are part of the package
        raise ImportError(f"cannot load {source_path(module)}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise
    return loaded


def load_sources(suffix: str = "") -> dict[str, ModuleType]:
    """Import the compiled modules from their source, as `engine.<module><suffix>`, whatever is compiled; each
    source module sees the other modules' source (a source evaluator with source plans). With the default
    suffix they become `engine.compiler` and `engine.evaluator` themselves (only before anything imported them)."""
    saved = {m: sys.modules.get(f"{PACKAGE}.{m}") for m in MODULES}
    loaded: dict[str, ModuleType] = {}
    try:
        for m in MODULES:
            loaded[m] = _load(m, f"{PACKAGE}.{m}{suffix}")
            sys.modules[f"{PACKAGE}.{m}"] = loaded[m]  # what the next module's `from .m import ...` finds
            if not suffix and PACKAGE in sys.modules:
                setattr(sys.modules[PACKAGE], m, loaded[m])
    finally:
        if suffix:
            for m, before in saved.items():
                if before is None:
                    sys.modules.pop(f"{PACKAGE}.{m}", None)
                else:
                    sys.modules[f"{PACKAGE}.{m}"] = before
    return loaded


def select() -> str:
    """Decide which code `import engine.compiler` / `engine.evaluator` give, once per process; say which."""
    global EVALUATOR
    if any(f"{PACKAGE}.{m}" in sys.modules for m in MODULES):
        return EVALUATOR
    extensions = {m: built_extension(m) for m in MODULES}
    built = [m for m, path in extensions.items() if path is not None]
    if os.environ.get(PURE_ENV) == "1":
        EVALUATOR = f"source ({PURE_ENV}=1)"
        if built:
            load_sources()
        return EVALUATOR
    if not built:
        EVALUATOR = "source (no compiled evaluator is built here)"
        return EVALUATOR
    recorded = recorded_hashes()
    missing = [m for m in MODULES if extensions[m] is None]
    unmatched = [m for m in built if not source_path(m).exists() or recorded.get(m) != source_hash(m)]
    if not missing and not unmatched:
        EVALUATOR = "compiled (" + ", ".join(p.name for p in extensions.values() if p is not None) + ")"
        return EVALUATOR
    if missing:
        reason = f"only part of it is compiled: {', '.join(m + '.py' for m in missing)} is not"
    elif not recorded:
        reason = f"the compiled evaluator has no build record, {BUILD_RECORD.name}"
    else:
        reason = f"the compiled evaluator was built from another version of {', '.join(m + '.py' for m in unmatched)}"
    EVALUATOR = f"source ({reason})"
    warnings.warn(f"the compiled modules in {HERE} cannot be shown to be built from the sources as they are now "
                  f"({reason}), so the sources run instead (slower); rebuild them with `pip install -e .`",
                  StaleBuildWarning, stacklevel=4)
    load_sources()
    return EVALUATOR


def compiled() -> bool:
    """Whether the modules this process evaluates with are the compiled ones (importing them if nothing has yet:
    the engine's facade is lazy, so `import engine` alone loads neither)."""
    modules = [importlib.import_module(f"{PACKAGE}.{m}") for m in MODULES]
    return all(m is not None and not str(getattr(m, "__file__", "")).endswith(".py") for m in modules)


select()  # at import, which engine/__init__.py does before anything else
