"""Read YAML or JSON keeping the line and column of every node, so later stages can point at it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic

__all__ = ["SourceDocument", "read_document", "parse_text"]

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceDocument:
    """Plain data (dicts, lists, scalars) plus a map from each node's path to its 1-based position."""

    file: str
    data: Any
    positions: dict[Pointer, tuple[int, int]] = field(repr=False)
    key_positions: dict[Pointer, tuple[int, int]] = field(repr=False)
    text: str = field(repr=False, default="")

    def locate(self, path: Pointer, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of the node at `path`, or of its nearest ancestor that exists."""
        path = tuple(path)
        table = self.key_positions if key else self.positions
        while True:
            if path in table:
                return table[path]
            if key and path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]
            table = self.positions

    def diagnostic(self, code: str, message: str, path: Pointer, *, hint: str | None = None,
                   key: bool = False) -> Diagnostic:
        line, column = self.locate(path, key=key)
        return Diagnostic(code=code, message=message, file=self.file, line=line, column=column, hint=hint)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as ISO strings: dates are checked by the schema, typed later."""


# YAML 1.1 would turn `2018-07-01` into a date and `on`/`off` into booleans; we want JSON-like data so the
# JSON Schema sees exactly what JSON input would give. Dates stay strings (format-checked by the schema).
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
for _ch in "yYnNoO":
    _Loader.yaml_implicit_resolvers[_ch] = [
        (tag, rx) for tag, rx in _Loader.yaml_implicit_resolvers.get(_ch, []) if tag != "tag:yaml.org,2002:bool"
    ]
# YAML 1.1 reads `1e-5` (no dot) as a string; rule authors mean a number.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    __import__("re").compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _convert(node: yaml.Node, path: Pointer, loader: _Loader, positions: dict[Pointer, tuple[int, int]],
             key_positions: dict[Pointer, tuple[int, int]], problems: list[tuple[str, yaml.Node]]) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                problems.append((f"duplicate key `{key}`", key_node))
            key_positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _convert(value_node, path + (key,), loader, positions, key_positions, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), loader, positions, key_positions, problems)
                for i, child in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def parse_text(text: str, file: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Parse YAML (JSON is a subset) into a SourceDocument, or return the syntax diagnostics."""
    diagnostics: list[Diagnostic] = []
    if file.endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            return None, [Diagnostic("json_syntax_error", e.msg.lower(), file, e.lineno, e.colno)]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = (e.problem or e.context or "invalid yaml").strip()
        return None, [Diagnostic("yaml_syntax_error", msg, file,
                                 mark.line + 1 if mark else None, mark.column + 1 if mark else None)]
    except yaml.YAMLError as e:  # pragma: no cover - pyyaml raises marked errors for syntax problems
        return None, [Diagnostic("yaml_syntax_error", str(e), file)]
    finally:
        loader.dispose()
    if node is None:
        return None, [Diagnostic("yaml_empty_document", "the file holds no document", file, 1, 1)]
    positions: dict[Pointer, tuple[int, int]] = {}
    key_positions: dict[Pointer, tuple[int, int]] = {}
    problems: list[tuple[str, yaml.Node]] = []
    try:
        data = _convert(node, (), loader, positions, key_positions, problems)
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        return None, [Diagnostic("yaml_syntax_error", (e.problem or "cannot construct value").strip(), file,
                                 mark.line + 1 if mark else None, mark.column + 1 if mark else None)]
    for message, key_node in problems:
        diagnostics.append(Diagnostic("yaml_duplicate_key", message, file, key_node.start_mark.line + 1,
                                      key_node.start_mark.column + 1, hint="each key may appear once per mapping"))
    return SourceDocument(file, data, positions, key_positions, text), diagnostics


def read_document(path: Path, display: str | None = None) -> tuple[SourceDocument | None, list[Diagnostic]]:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return None, [Diagnostic("file_encoding_error", f"file is not valid utf-8 ({e.reason})", name)]
    except OSError as e:
        return None, [Diagnostic("file_unreadable", f"cannot read file: {e.strerror or e}", name)]
    return parse_text(text, name)
