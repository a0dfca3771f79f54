"""JSON Schema validation of parsed documents, every error mapped back to file:line:column."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from . import ops
from .diagnostics import Diagnostic, did_you_mean, field_path
from .yamlsource import Pointer, SourceDocument

__all__ = ["SCHEMA_NAMES", "load_schema", "validator", "schema_diagnostics", "field_path"]

SCHEMA_NAMES = ("common", "catalog", "ruleset", "application", "overlay", "scheme")
_BASE = "https://greencert.local/schemas/"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("engine").joinpath("schemas", f"{name}.schema.json" if name != "common"
                                              else "common.json").read_text(encoding="utf-8")
    schema = dict(json.loads(text))
    # the operators' fragments are declared with the operators (engine/ops), ahead of the other keys
    if name == "ruleset":
        requirement = schema["$defs"]["requirement"]
        requirement["properties"] = {**ops.requirement_schema(), **requirement["properties"]}
    elif name == "common":
        condition = schema["$defs"]["condition"]
        condition["properties"] = {**ops.condition_schema(), **condition["properties"]}
    return schema


@functools.cache
def _registry() -> Registry[Any]:
    # every schema is registered under its $id, so one may $ref another (an overlay reuses the rule set's)
    registry: Registry[Any] = Registry()
    for name in SCHEMA_NAMES:
        schema = load_schema(name)
        resource: Resource[Any] = Resource.from_contents(schema)
        registry = registry.with_resource(schema.get("$id", _BASE + name), resource)
    return registry


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name), registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "mapping"


# JSON Schema's type names, as a YAML author knows them
_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "array": "a list", "object": "a mapping", "null": "`null`"}


def _short(value: Any) -> str:
    """A user value for a message: JSON literals (`true`, `null`), strings without quotes, cut at 40 chars."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


_ID_PATTERN = "^[a-z][a-z0-9_]*$"
_RULESET_ID_PATTERN = "^[a-z][a-z0-9_]*/[A-Za-z0-9_.-]+$"
_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _snake(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return out if re.match(r"^[a-z]", out) else ""


def _pattern_problem(value: Any, pattern: str, where: str) -> tuple[str, str | None]:
    if pattern == _ID_PATTERN:
        suggestion = _snake(str(value))
        hint = "ids are lowercase snake_case: a letter, then letters, digits and `_`"
        if suggestion:
            hint += f"; did you mean `{suggestion}`?"
        return f"`{_short(value)}` is not a valid id{where}", hint
    if pattern == _RULESET_ID_PATTERN:
        return (f"`{_short(value)}` is not a valid rule set id{where}",
                "write `<category>/<edition>`, e.g. `coatings/GB-T-35602-2017`")
    if pattern == _DATE_PATTERN:
        return f"`{_short(value)}` is not a date{where}", "write dates as YYYY-MM-DD, e.g. `2018-07-01`"
    return f"`{_short(value)}` does not have the expected form{where}", f"it must match `{pattern}`"


def _mapping_hint(value: Any, schema: dict[str, Any]) -> str | None:
    """`lte 100` where `{lte: 100}` was meant; else the keys the mapping takes (required ones first)."""
    m = re.match(r"^\s*([A-Za-z_]+)\s*[ :=]\s*(\S.*)$", value) if isinstance(value, str) else None
    if m and m.group(1) in schema.get("properties", {}):
        return f"write a mapping: `{{{m.group(1)}: {m.group(2).strip()}}}`"
    required = list(schema.get("required", []))
    keys = required + [k for k in schema.get("properties", {}) if k not in required]
    if not keys:
        return None
    shown = ", ".join(f"`{k}`" for k in keys[:6]) + (", …" if len(keys) > 6 else "")
    needed = f"; {', '.join(f'`{k}`' for k in required)} {'is' if len(required) == 1 else 'are'} required" \
        if required else ""
    return f"write a mapping with {shown}{needed}"


def _date_problem(value: Any, where: str) -> tuple[str, str | None]:
    reason = ""
    try:
        dt.date.fromisoformat(str(value))
    except ValueError as e:
        if "must be in" in str(e) or "out of range" in str(e):
            reason = f" ({e})"
    return f"`{_short(value)}` is not a valid date{where}{reason}", "write dates as YYYY-MM-DD, e.g. `2018-07-01`"


@dataclass(frozen=True)
class _Problem:
    kind: str
    message: str
    hint: str | None
    path: Pointer
    key: bool = False
    missing: str | None = None
    unknown: str | None = None


def _explain(error: ValidationError) -> list[_Problem]:
    """What went wrong, where to point, and a hint; several problems for several unknown keys."""
    path: Pointer = tuple(error.absolute_path)
    v = str(error.validator)
    schema = error.schema if isinstance(error.schema, dict) else {}
    where = f" in `{field_path(path)}`" if path else ""
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return [_Problem(v, f"missing required field `{missing}`{where}", None, path, missing=missing)]
    if v == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extras = [k for k in error.instance if k not in schema.get("properties", {})] if isinstance(
            error.instance, dict) else []
        return [_Problem(v, f"unknown field `{k}`{where}", did_you_mean(k, known), path + (k,), key=True, unknown=k)
                for k in extras]
    if v == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
        found = _json_type(error.instance)
        hint = None
        if isinstance(error.instance, str) and re.match(r"^\s*[-+]?\.?[0-9]", error.instance) and "number" in expected:
            hint = "write the number alone; a unit goes in `unit`"
        elif isinstance(error.instance, str) and "array" in expected:
            hint = "write a list as `[a, b]` or as lines starting with `- `"
        elif "object" in expected:
            hint = _mapping_hint(error.instance, schema)
        value = "" if found in ("mapping", "list", "null") else f" `{_short(error.instance)}`"
        return [_Problem(v, f"expected {words}{where}, found {found}{value}", hint, path)]
    if v == "enum":
        options = [str(o) for o in error.validator_value]
        return [_Problem(v, f"`{_short(error.instance)}` is not one of the values allowed{where}",
                         did_you_mean(str(error.instance), options), path)]
    if v == "const":
        hint = None
        if error.validator_value is True:
            hint = "this operator takes no value: write `true`"
        elif isinstance(error.instance, str) and isinstance(error.validator_value, str):
            hint = did_you_mean(error.instance, [error.validator_value])
        found = _short(error.instance)
        return [_Problem(v, f"expected `{_short(error.validator_value)}`{where}, found `{found}`", hint, path)]
    if v == "pattern":
        message, hint = _pattern_problem(error.instance, str(error.validator_value), where)
        return [_Problem(v, message, hint, path)]
    if v == "format":
        if error.validator_value == "date":
            message, hint = _date_problem(error.instance, where)
            return [_Problem(v, message, hint, path)]
        return [_Problem(v, f"`{_short(error.instance)}` is not a valid {error.validator_value}{where}", None, path)]
    if v in ("oneOf", "anyOf") and error.context:
        return _explain(best_match(error.context))
    n = error.validator_value
    bounds = {"minItems": f"at least {_plural(n, 'item')}", "maxItems": f"at most {_plural(n, 'item')}",
              "minProperties": f"at least {_plural(n, 'entry')}", "maxProperties": f"at most {_plural(n, 'entry')}",
              "minLength": "some text" if n == 1 else f"at least {n} characters",
              "maxLength": f"at most {n} characters",
              "minimum": f"a value ≥ {n}", "maximum": f"a value ≤ {n}", "exclusiveMinimum": f"a value > {n}",
              "exclusiveMaximum": f"a value < {n}"}
    if v in bounds:
        found = "" if isinstance(error.instance, (dict, list, str)) else f", found `{_short(error.instance)}`"
        hint = None
        if v == "minProperties" and schema.get("properties"):
            hint = "use " + ", ".join(f"`{k}`" for k in schema["properties"]) + ", or remove the empty mapping"
        return [_Problem(v, f"expected {bounds[v]}{where}{found}", hint, path)]
    return [_Problem(v, error.message[:1].lower() + error.message[1:] + where, None, path)]


def _prune(problems: list[_Problem]) -> list[_Problem]:
    """Drop problems that only echo another one: a required field reported missing because it is misspelt
    (`critera`), and the pattern of a date next to the date's own format error."""
    misspelt = {(p.path[:-1], (p.hint or "")) for p in problems if p.unknown is not None}
    formats = {p.path for p in problems if p.kind == "format"}
    out = []
    for p in problems:
        if p.missing is not None and any(parent == p.path and hint == f"did you mean `{p.missing}`?"
                                         for parent, hint in misspelt):
            continue
        if p.kind == "pattern" and p.path in formats:
            continue
        out.append(p)
    return out


def schema_diagnostics(doc: SourceDocument, schema: str, code: str, *,
                       ignore: Collection[tuple[str, Pointer]] = ()) -> list[Diagnostic]:
    """Every schema error of the document, one diagnostic each, located at the offending key or value.

    `ignore` holds (JSON Schema keyword, path) pairs that the caller reports better itself (the loader says
    "requirement has no comparison operator" where the schema would say "expected at least 1 entry").
    """
    if schema in _FAST and _fast_valid(schema, doc.data):
        return []
    problems: list[_Problem] = []
    for error in validator(schema).iter_errors(doc.data):
        problems.extend(p for p in _explain(error) if (p.kind, p.path) not in ignore)
    return [_named(doc.diagnostic(code, p.message, p.path, hint=p.hint, key=p.key), p) for p in _prune(problems)]


def _named(d: Diagnostic, p: _Problem) -> Diagnostic:
    """A missing field is located at the mapping that lacks it, and named by its own full path in `field`."""
    if p.missing is None:
        return d
    return dataclasses.replace(d, field=field_path(p.path + (p.missing,)))


# Applications are validated on every API request: a code-generated validator (fastjsonschema, ~20 µs for an
# example application against ~390 µs for jsonschema) answers "valid?"; only an invalid document goes through
# jsonschema, which says where and why. tests/engine/test_schema_fast_path.py checks the two agree.
_FAST = ("application",)


def _is_date(text: object) -> bool:
    if not isinstance(text, str):
        return True  # like jsonschema: a format only constrains strings
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@functools.cache
def _fast_validator(name: str) -> Any:
    import fastjsonschema

    schema = {k: v for k, v in load_schema(name).items() if k != "$schema"}
    return fastjsonschema.compile(schema, formats={"date": _is_date})


def _fast_valid(name: str, data: Any) -> bool:
    import fastjsonschema

    try:
        _fast_validator(name)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True

