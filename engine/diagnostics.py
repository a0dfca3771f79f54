"""One diagnostic shape for every stage, from YAML loading to the HTTP API."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Diagnostic", "DiagnosticError", "did_you_mean", "field_path", "format_diagnostic", "sort_diagnostics"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in user input, located as precisely as the stage allows.

    `code` is a stable snake_case identifier per stage (`yaml_syntax_error`, `rules_schema_error`,
    `rules_reference_error`, ...); `message` follows Cedar's style: lowercase, no final period, user
    values in backticks.
    """

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    field: str | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return format_diagnostic(self)


class DiagnosticError(Exception):
    """Raised between stages when a stage produced errors; carries all of them, sorted."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: list[Diagnostic] = sort_diagnostics(diagnostics)
        super().__init__("\n".join(format_diagnostic(d) for d in self.diagnostics))


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(diagnostics))
    return sorted(unique, key=lambda d: (d.file or "", d.line or 0, d.column or 0, d.code, d.message))


def format_diagnostic(d: Diagnostic) -> str:
    where = d.file or "<input>"
    if d.line is not None:
        where += f":{d.line}"
        if d.column is not None:
            where += f":{d.column}"
    text = f"{where}: {d.code}: {d.message}"
    if d.hint:
        text += f" ({d.hint})"
    return text


def did_you_mean(value: str, candidates: Iterable[str]) -> str | None:
    """A Cedar-style suggestion computed by fuzzy matching against the known names."""
    names = sorted(set(candidates))
    folded = [n for n in names if n.lower() == value.lower() and n != value]
    match = folded or difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if match:
        return f"did you mean `{match[0]}`?"
    if names and len(names) <= 12:
        return "expected one of " + ", ".join(f"`{n}`" for n in names)
    return None


def field_path(path: Iterable[str | int]) -> str:
    """`criteria[0].requirement.unit`: how a field is named in messages and in the `field` of a diagnostic."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
