"""The step library's grammar: a step is a readable template (`{name}`, `{name:kind}`, `[optional]`) turned into a
regular expression; every template is listed in STEPS (the step reference of docs/authoring.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pytest_bdd import parsers
from pytest_bdd import step as bdd_step

from engine.bdd.values import LABEL_WORDS, VERDICT_WORDS

# ---------------------------------------------------------------------------------------------- templates
# A step is written as a readable template; `{name}` is one word or a "quoted text", `{name:kind}` is typed,
# `[...]` is optional. The same templates are the step reference of docs/authoring.md.
STEPS: list[tuple[str, str]] = []

_VERDICT_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                                 for w in sorted(VERDICT_WORDS, key=len, reverse=True))
_LABEL_ALTERNATIVES = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(LABEL_WORDS, key=len, reverse=True))
_KINDS = {
    "": r"\"[^\"]*\"|'[^']*'|`[^`]*`|\S+",
    "quoted": r"\"[^\"]*\"",
    "text": r".+?",
    "list": r".+?",
    "date": r"\S+",
    "number": r"[-+<＜.\d]\S*",
    "ref": r"(?!an?\s).+?",
    "article": r"an?\s.+?",
    "verdict": _VERDICT_ALTERNATIVES,
    "status": _LABEL_ALTERNATIVES,
}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _regex(template: str) -> str:
    out, i = [], 0
    while i < len(template):
        ch = template[i]
        if ch == "[":
            out.append("(?:")
        elif ch == "]":
            out.append(")?")
        elif ch == "{":
            m = _PLACEHOLDER.match(template, i)
            if m is None:
                raise ValueError(f"bad placeholder in step template {template!r}")
            out.append(f"(?P<{m.group(1)}>{_KINDS[m.group(2) or '']})")
            i = m.end()
            continue
        elif ch == " ":
            out.append(r"\s+")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def step(kind: str, *templates: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register one step function under each template, for Given, When or Then."""
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        for template in templates:
            STEPS.append((kind, template))
            bdd_step(parsers.re(_regex(template)), kind, stacklevel=2)(func)  # type: ignore[arg-type]
        return func
    return register
