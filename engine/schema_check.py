"""JSON Schema validation of parsed documents, every error mapped back to file:line:column."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from .diagnostics import Diagnostic, did_you_mean
from .yamlsource import SourceDocument

__all__ = ["SCHEMA_NAMES", "load_schema", "validator", "schema_diagnostics", "field_path"]

SCHEMA_NAMES = ("common", "catalog", "ruleset", "application", "overlay")
_BASE = "https://greencert.local/schemas/"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("engine").joinpath("schemas", f"{name}.schema.json" if name != "common"
                                              else "common.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


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


def field_path(path: Iterable[str | int]) -> str:
    """`evidence.test_reports[0].results[1].unit`: how a field is named to an API client."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _explain(error: ValidationError) -> tuple[str, str | None, tuple[str | int, ...], bool]:
    """(message, hint, path to point at, point at the key rather than the value)."""
    path = tuple(error.absolute_path)
    v = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    where = f" in `{field_path(path)}`" if path else ""
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return f"missing required field `{missing}`{where}", None, path, False
    if v == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extras = [k for k in error.instance if k not in schema.get("properties", {})] if isinstance(
            error.instance, dict) else []
        key = extras[0] if extras else "?"
        return f"unknown field `{key}`{where}", did_you_mean(key, allowed), path + (key,), True
    if v == "type":
        expected = error.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return (f"expected {expected_text}{where}, found {_json_type(error.instance)} `{_short(error.instance)}`",
                None, path, False)
    if v == "enum":
        options = [str(o) for o in error.validator_value]
        return (f"`{_short(error.instance)}` is not allowed{where}",
                did_you_mean(str(error.instance), options), path, False)
    if v == "const":
        return (f"expected `{error.validator_value}`{where}, found `{_short(error.instance)}`", None, path, False)
    if v == "pattern":
        hint = "use lowercase snake_case, e.g. `formaldehyde_emission`" if "a-z" in str(error.validator_value) else None
        return f"`{_short(error.instance)}` does not match the expected form{where}", hint, path, False
    if v == "format":
        return (f"`{_short(error.instance)}` is not a valid {error.validator_value}{where}",
                "write dates as YYYY-MM-DD" if error.validator_value == "date" else None, path, False)
    if v in ("oneOf", "anyOf") and error.context:
        inner = best_match(error.context)
        message, hint, inner_path, key = _explain(inner)
        return message, hint, inner_path, key
    if v in ("minItems", "maxItems", "minProperties", "maxProperties", "minLength", "maxLength",
             "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minItems": "at least {} item(s)", "maxItems": "at most {} item(s)",
                 "minProperties": "at least {} entr(y/ies)", "maxProperties": "at most {} entr(y/ies)",
                 "minLength": "at least {} character(s)", "maxLength": "at most {} character(s)",
                 "minimum": "a value ≥ {}", "maximum": "a value ≤ {}", "exclusiveMinimum": "a value > {}",
                 "exclusiveMaximum": "a value < {}"}
        return f"expected {words[str(v)].format(error.validator_value)}{where}", None, path, False
    return error.message[:1].lower() + error.message[1:] + where, None, path, False


def schema_diagnostics(doc: SourceDocument, schema: str, code: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for error in validator(schema).iter_errors(doc.data):
        message, hint, path, key = _explain(error)
        d = doc.diagnostic(code, message, path, hint=hint, key=key)
        out.append(Diagnostic(d.code, d.message, d.file, d.line, d.column, d.hint, field=field_path(path)))
    return out


# keep the import used for type checkers that look for the module name
_ = jsonschema
