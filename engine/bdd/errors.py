"""The one error a step raises for its author: a diagnostic, located in the feature file when it is known."""

from __future__ import annotations

from collections.abc import Sequence

from engine import Diagnostic, format_diagnostic

__all__ = ["StepFailure", "render_failure"]


class StepFailure(Exception):
    """A scenario cannot go on (bad input) or an expectation does not hold; never a bug in the kit.

    `line` is the feature-file line to blame when it is not the current step's (a table row, an earlier
    Given); the step library fills in the file and the step's line otherwise. Several diagnostics are
    carried when the engine rejected an application for several reasons at once.
    """

    def __init__(self, code: str, message: str, *, hint: str | None = None, line: int | None = None,
                 column: int | None = None, diagnostics: Sequence[Diagnostic] = ()):
        self.diagnostics: list[Diagnostic] = list(diagnostics) or [
            Diagnostic(code, message, None, line, column, hint)]
        super().__init__(message)

    def located(self, file: str, line: int) -> list[Diagnostic]:
        """The diagnostics with the feature file filled in, and the step's line where none is known."""
        out = []
        for d in self.diagnostics:
            out.append(Diagnostic(d.code, d.message, file if d.file in (None, "") else d.file,
                                  d.line if d.line is not None else line, d.column, d.hint, d.field, d.severity))
        return out


def render_failure(diagnostics: Sequence[Diagnostic], scenario: str | None = None, step: str | None = None) -> str:
    """What the author reads: `file:line: code: message (fix)` per problem, then where it happened."""
    lines = [format_diagnostic(d) for d in diagnostics]
    if scenario:
        lines.append(f"  in scenario `{scenario}`" + (f", step `{step}`" if step else ""))
    return "\n".join(lines)
