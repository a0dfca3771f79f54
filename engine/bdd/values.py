"""Typed values from Gherkin text: numbers, dates, booleans, lists, verdict words, result cells."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import StepFailure

__all__ = [
    "VERDICT_WORDS", "LABEL_WORDS", "ResultCell", "parse_bool", "parse_date", "parse_list", "parse_number",
    "parse_reason", "parse_result_value", "parse_verdict", "unquote",
]

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_LESS_THAN = re.compile(r"^[<＜]\s*(.+)$")
_NOT_DETECTED = ("not detected", "nd", "n.d.", "未检出", "not_detected")

# the words an author may use for each verdict of docs/semantics.md §3 (and the basic requirements' "met")
VERDICT_WORDS = {
    "pass": "pass", "passes": "pass", "passed": "pass", "is met": "pass", "met": "pass", "is pass": "pass",
    "fail": "fail", "fails": "fail", "failed": "fail", "is not met": "fail", "is fail": "fail",
    "is missing": "missing", "missing": "missing",
    "is not acceptable": "not_acceptable", "not acceptable": "not_acceptable", "not_acceptable": "not_acceptable",
    "is undetermined": "undetermined", "undetermined": "undetermined",
    "is not applicable": "not_applicable", "does not apply": "not_applicable", "not applicable": "not_applicable",
    "not_applicable": "not_applicable",
    "is pending": "pending", "pending": "pending",
}
LABEL_WORDS = {"eligible": "eligible", "is eligible": "eligible", "not eligible": "not_eligible",
               "is not eligible": "not_eligible", "not_eligible": "not_eligible", "undetermined": "undetermined",
               "is undetermined": "undetermined"}


def unquote(text: str) -> str:
    """`"LW 2100"`, `'LW 2100'`, `` `x` `` and `LW-2100` all name the same thing."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1]
    if len(text) >= 2 and text[0] in "“「" and text[-1] in "”」":
        return text[1:-1]
    return text


def parse_number(text: str, what: str = "value") -> float | int:
    raw = unquote(str(text)).replace(",", "").replace("_", "")
    if not _NUMBER.match(raw):
        raise StepFailure("bdd_value_error", f"{what} is `{text}`, not a number",
                          hint="write a plain number such as `12`, `0.5` or `-3`, without unit or thousands separator")
    value = float(raw)
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def parse_date(text: str, what: str = "date") -> dt.date:
    raw = unquote(str(text))
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise StepFailure("bdd_value_error", f"{what} is `{text}`, not a date",
                          hint="write dates as YYYY-MM-DD, e.g. `2026-11-01`") from None


def parse_bool(text: str, what: str = "value") -> bool:
    raw = unquote(str(text)).lower()
    if raw in ("true", "yes", "是", "y"):
        return True
    if raw in ("false", "no", "否", "n"):
        return False
    raise StepFailure("bdd_value_error", f"{what} `{text}` is not true or false", hint="write `yes` or `no`")


def parse_list(text: str) -> list[str]:
    """`a, b and c`, `a、b`, `"a", "b"` -> [a, b, c]; `none` -> []."""
    raw = str(text).strip()
    if raw.lower() in ("none", "nothing", "-", "无"):
        return []
    parts = re.split(r"\s*(?:,|，|、|;|\band\b|\bor\b)\s*", raw)
    return [unquote(p) for p in parts if unquote(p)]


def _words(text: str) -> str:
    return " ".join(str(text).replace("_", " ").split()).lower()


def parse_verdict(text: str) -> str:
    key = _words(text)
    verdict = VERDICT_WORDS.get(key) or VERDICT_WORDS.get(key.replace(" ", "_"))
    if verdict is None:
        raise StepFailure("bdd_value_error", f"`{text}` is not a verdict",
                          hint="write one of `passes`, `fails`, `is missing`, `is not acceptable`, `is undetermined`, "
                               "`is not applicable`, `is pending`")
    return verdict


def parse_label_status(text: str) -> str:
    key = _words(text)
    status = LABEL_WORDS.get(key)
    if status is None:
        raise StepFailure("bdd_value_error", f"`{text}` is not a label status",
                          hint="write `eligible`, `not eligible` or `undetermined`")
    return status


def parse_reason(text: str) -> str:
    """`limit exceeded`, `limit_exceeded` and `Limit Exceeded` are the reason code `limit_exceeded`."""
    return "_".join(_words(unquote(text)).split())


@dataclass(frozen=True)
class ResultCell:
    """What a report says about one indicator: a value, or not detected at a detection limit."""

    value: float | int | str | None
    not_detected: bool = False
    detection_limit: float | int | None = None


def parse_result_value(text: str, *, quantity: bool, detection_limit: str | None = None) -> ResultCell:
    """`12`, `0.004`, `not detected`, `ND`, `未检出`, `< 5` (not detected at 5); a choice is kept as text."""
    raw = unquote(str(text))
    dl = parse_number(detection_limit, "detection limit") if detection_limit not in (None, "") else None
    if raw.lower() in _NOT_DETECTED:
        return ResultCell(None, True, dl)
    less = _LESS_THAN.match(raw)
    if less and quantity:
        if dl is not None:
            raise StepFailure("bdd_value_error", f"`{text}` already gives the detection limit",
                              hint="leave the detection limit column empty, or write `not detected`")
        return ResultCell(None, True, parse_number(less.group(1), "detection limit"))
    if dl is not None:
        raise StepFailure("bdd_value_error", f"a detection limit is given for the detected value `{text}`",
                          hint="write `not detected` in the value column, or leave the detection limit empty")
    if not quantity:
        return ResultCell(raw)
    return ResultCell(parse_number(raw))
