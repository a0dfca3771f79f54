"""The diagnostic codes: every code the sources raise is in the registry (engine/codes.py), and the registry is
the list in docs/diagnostics.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from engine.codes import CODES, WARNINGS

ROOT = Path(__file__).resolve().parents[2]
_CODE = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
# the callables whose first argument is a diagnostic code
_HANDED_ON = re.compile(r"^[a-z]+(_[a-z0-9]+)*_(error|deprecated)$")
_RAISERS = {"diagnostic", "Diagnostic", "StepFailure", "Problem", "_diag", "one"}


def raised_codes() -> dict[str, set[str]]:
    """Code -> the files raising it: string constants passed as a code (first argument of a diagnostic
    constructor, `code=`, or `{"code": ...}`) in engine/, api/ and greencert_cli/."""
    found: dict[str, set[str]] = {}
    for package in ("engine", "api", "greencert_cli"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                values: list[ast.expr] = []
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if name in _RAISERS and node.args:
                        values.append(node.args[0] if name != "one" or len(node.args) < 2 else node.args[1])
                    values += [k.value for k in node.keywords if k.arg == "code"]
                    # a code handed on to a helper (`schema_diagnostics(doc, "ruleset", "rules_schema_error")`)
                    values += [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                               and _HANDED_ON.match(a.value)]
                elif isinstance(node, ast.Dict):
                    values += [v for k, v in zip(node.keys, node.values)
                               if isinstance(k, ast.Constant) and k.value == "code"]
                for v in values:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str) and _CODE.match(v.value):
                        found.setdefault(v.value, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_code_raised_is_registered() -> None:
    import api.errors  # its status -> code table: the codes of errors the service did not describe itself

    raised = raised_codes()
    for code in api.errors._HTTP_CODES.values():
        raised.setdefault(code, set()).add("api/errors.py")
    assert len(raised) >= 40  # the walk finds the codes (a broken walk would pass vacuously)
    unknown = {c: sorted(f) for c, f in raised.items() if c not in CODES}
    assert not unknown, f"codes raised but not in engine/codes.py: {unknown}"


def test_the_docs_list_is_the_registry() -> None:
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    block = text.split("<!-- codes:begin -->")[1].split("<!-- codes:end -->")[0]
    rows = dict(re.findall(r"^- `([a-z0-9_]+)`: (.+)$", block, re.M))
    assert rows == CODES


def test_warnings_are_codes_and_every_meaning_is_one_line() -> None:
    assert WARNINGS <= set(CODES)
    for code, meaning in CODES.items():
        assert _CODE.match(code) and meaning and "\n" not in meaning and not meaning.endswith("."), code
