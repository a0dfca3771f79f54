"""api/, the BDD kit (engine/bdd) and its step library (features/) use only engine's facade: the names in
`engine.__all__` and those of its public submodules (issue 19).

pyproject.toml's `engine-facade` import-linter contract forbids api and engine.bdd any other engine module;
import-linter sees modules, not names (and not features/, which is not one of its root packages), so this test reads
every import statement of api/, engine/bdd and features/ and checks the names too (`from engine import X` with X public,
`from engine.certificates import Y` with Y in that module's `__all__`), naming the file, the line and the public
alternative."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import engine
from engine import PROJECT_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest itself depends on tomli before 3.11
    import tomli as tomllib

CLIENTS = ("api", "engine/bdd", "features")  # features/ is not among import-linter's root packages: it does not see it


def _public_modules() -> dict[str, set[str]]:
    """module -> the names it offers to api/ and the BDD kit."""
    out = {"engine": set(engine.__all__)}
    for name in engine.PUBLIC_SUBMODULES:
        out[f"engine.{name}"] = set(importlib.import_module(f"engine.{name}").__all__)
    return out


def _where(name: str, public: dict[str, set[str]]) -> str:
    homes = [m for m, names in public.items() if name in names]
    if homes:
        return f"use `from {homes[0]} import {name}`"
    return f"`{name}` is not public: add it to engine/__init__.py's _EXPORTS and __all__ if it must be"


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def violations(source: str, module: str, is_package: bool, label: str,
               public: dict[str, set[str]]) -> Iterator[str]:
    """Each import in `source` (the code of `module`) of an engine name that is not public, as `label:line: …`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                if name.startswith("engine.") and not name.startswith("engine.bdd") and name not in public:
                    yield f"{label}:{node.lineno}: `import {name}`: `{name}` is internal; import from `engine`"
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join([*base, *([target] if target else [])])
            if target != "engine" and not target.startswith("engine."):
                continue
            if target == "engine.bdd" or target.startswith("engine.bdd."):
                continue  # the kit's own modules
            shown = f"from {'.' * node.level}{node.module or ''} import"
            if target not in public:
                for alias in node.names:
                    yield (f"{label}:{node.lineno}: `{shown} {alias.name}`: `{target}` is internal to the engine; "
                           f"{_where(alias.name, public)}")
                continue
            for alias in node.names:
                if alias.name not in public[target]:
                    yield (f"{label}:{node.lineno}: `{shown} {alias.name}`: `{alias.name}` is not in `{target}`'s "
                           f"__all__; {_where(alias.name, public)}")


def test_api_and_the_bdd_kit_import_only_public_engine_names() -> None:
    public = _public_modules()
    found: list[str] = []
    files = 0
    for client in CLIENTS:
        for path in sorted((PROJECT_ROOT / client).rglob("*.py")):
            files += 1
            found.extend(violations(path.read_text(encoding="utf-8"), _module_of(path, PROJECT_ROOT),
                                    path.name == "__init__.py", str(path.relative_to(PROJECT_ROOT)), public))
    assert files > 40  # the walk did see api/ and engine/bdd
    assert not found, "\n".join(found)


def test_the_check_names_the_line_and_the_public_alternative() -> None:
    public = _public_modules()
    source = ("from engine import Repository\n"
              "from engine.models import RuleSet\n"
              "from ..diagnostics import did_you_mean\n"
              "from engine.certificates import Status, _private\n"
              "from engine import loader\n"
              "import engine.evaluator\n"
              "from .errors import StepFailure\n")
    found = list(violations(source, "engine.bdd.draft", False, "engine/bdd/draft.py", public))
    assert found == [
        "engine/bdd/draft.py:2: `from engine.models import RuleSet`: `engine.models` is internal to the engine; "
        "use `from engine import RuleSet`",
        "engine/bdd/draft.py:3: `from ..diagnostics import did_you_mean`: `engine.diagnostics` is internal to the "
        "engine; use `from engine import did_you_mean`",
        "engine/bdd/draft.py:4: `from engine.certificates import _private`: `_private` is not in "
        "`engine.certificates`'s __all__; `_private` is not public: add it to engine/__init__.py's _EXPORTS and "
        "__all__ if it must be",
        "engine/bdd/draft.py:5: `from engine import loader`: `loader` is not in `engine`'s __all__; `loader` is not "
        "public: add it to engine/__init__.py's _EXPORTS and __all__ if it must be",
        "engine/bdd/draft.py:6: `import engine.evaluator`: `engine.evaluator` is internal; import from `engine`",
    ]


def test_the_facade_lists_what_it_resolves() -> None:
    exports = engine._EXPORTS
    assert engine.__all__ == sorted([*exports, *engine.PUBLIC_SUBMODULES, "PUBLIC_SUBMODULES"])
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name
    for name, module in exports.items():
        assert getattr(engine, name) is getattr(importlib.import_module(f"engine.{module}"), name)
    try:
        from engine import evaluate_everything  # type: ignore[attr-defined]  # noqa: F401
    except ImportError as e:
        assert "evaluate_everything" in str(e)
    else:  # pragma: no cover
        raise AssertionError("an unknown name imported from engine")


def test_the_import_linter_contract_lists_the_public_submodules() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "engine-facade"]
    assert contract["type"] == "forbidden" and contract["forbidden_modules"] == ["engine.*"]
    assert set(contract["source_modules"]) == {"api", "engine.bdd"}
    allowed = {tuple(part.strip() for part in line.split("->")) for line in contract["ignore_imports"]}
    assert allowed == {(f"{src}.**", f"engine.{m}") for src in contract["source_modules"]
                       for m in engine.PUBLIC_SUBMODULES}


def test_import_engine_imports_no_stage() -> None:
    # the facade resolves its names on first use: a command pays for the stages it runs, not for all of them
    probe = ("import json, sys, engine\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('engine', 'pydantic', 'yaml', 'jsonschema', 'durable_rules_engine', 'pint'))))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout) == ["engine", "engine.native"]


def test_the_facade_is_the_same_whichever_stage_is_imported_first(tmp_path: Path) -> None:
    # `native` still decides before the evaluator is imported: a stage imported directly runs engine/__init__ first
    probe = ("import sys\nimport engine.evaluator\nimport engine\n"
             "print(engine.native.EVALUATOR != 'not selected yet', engine.evaluate is engine.evaluator.evaluate)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["True", "True"]
