"""Read YAML or JSON keeping the line and column of every node, so later stages can point at it."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, field_path

__all__ = ["Pointer", "SourceDocument", "read_document", "parse_text"]

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
        """Position of the node at `path` (of its key when `key`), or of its nearest ancestor that exists."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]

    def diagnostic(self, code: str, message: str, path: Pointer, *, hint: str | None = None,
                   key: bool = False) -> Diagnostic:
        line, column = self.locate(path, key=key)
        return Diagnostic(code=code, message=message, file=self.file, line=line, column=column, hint=hint,
                          field=field_path(path) or None)


# ---------------------------------------------------------------------------------------------- YAML

class _Loader(yaml.SafeLoader):
    """SafeLoader with JSON-like scalars: the JSON Schema then sees exactly what JSON input would give."""


# YAML 1.1 reads `2018-07-01` as a date, `on`/`no`/`yes` as booleans, `1:30` as 90 (base 60), `017` as 15
# (octal), `1_000` as 1000 and `.inf` as a float, and it reads `1e-5` (no dot) as a string. Rule authors mean
# none of that: dates stay strings (format-checked by the schema), only true/false are booleans, numbers are
# written the JSON way (a leading dot is allowed), everything else is a string.
_DROPPED_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                 "tag:yaml.org,2002:float", "tag:yaml.org,2002:value"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)

_PYYAML_PHRASES = (
    # (pattern in PyYAML's problem text, our message, hint)
    (re.compile(r"found character '\\t' that cannot start any token"), "tab character in indentation",
     "YAML indents with spaces only: replace the tab with spaces"),
    (re.compile(r"could not find expected ':'"), "expected `:` after the key on this line",
     "write `key: value`, with a space after the colon"),
    (re.compile(r"mapping values are not allowed here"), "unexpected `:` here",
     "check the indentation of this line against the line above, or quote a value that contains `: `"),
    (re.compile(r"expected <block end>, but found '\?'"), "a key is indented like the list item above it",
     "indent the key to line up with the first key of the list item, or start a new item with `- `"),
    (re.compile(r"expected <block end>, but found '-'"), "a list item is indented like the keys of a mapping",
     "a list under a key must be indented further than the key"),
    (re.compile(r"expected a single document in the stream"), "the file holds more than one YAML document",
     "keep one catalogue entry or rule set per file and remove the second `---`"),
    (re.compile(r"found undefined alias '(?P<v>[^']*)'"), "undefined alias `*{v}`",
     "define the anchor `&{v}` before using it"),
    (re.compile(r"could not determine a constructor for the tag '(?P<v>[^']*)'"), "unsupported tag `{v}`",
     "remove the tag: greencert files use plain YAML values"),
    (re.compile(r"found unexpected end of stream"), "unexpected end of file",
     "a quoted string or a `[`/`{{` collection is not closed"),
)


def _backticks(text: str) -> str:
    """PyYAML quotes values with '…'; our messages use backticks."""
    return re.sub(r"'([^']*)'", r"`\1`", text)


def _yaml_error(e: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    problem = (e.problem or "").strip()
    context = (e.context or "").strip()
    mark = e.problem_mark or e.context_mark
    # a key without `:` is noticed on the next line, an unclosed quote at the end of the file: the key or the
    # opening quote, where the context starts, is where the author has to look
    if e.context_mark is not None and ("could not find expected ':'" in problem
                                       or context.startswith("while scanning a quoted scalar")):
        mark = e.context_mark
    message, hint = "", None
    for pattern, ours, ours_hint in _PYYAML_PHRASES:
        m = pattern.search(problem) or pattern.search(context)
        if m:
            message, hint = ours.format(**m.groupdict()), ours_hint.format(**m.groupdict())
            break
    if not message:
        message = _backticks(problem or context or "invalid yaml")
        if context.startswith("while parsing a flow") and e.context_mark is not None:
            opener = "{" if "mapping" in context else "["
            hint = f"the `{opener}` opened on line {e.context_mark.line + 1} is not closed"
    return Diagnostic("yaml_syntax_error", message, file, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                      hint=hint)


class _Recursive(Exception):
    def __init__(self, node: yaml.Node):
        super().__init__("recursive alias")
        self.node = node


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed YAML node tree into plain data, recording where each node and key starts."""

    def __init__(self, loader: _Loader, file: str):
        self.loader = loader
        self.file = file
        self.positions: dict[Pointer, tuple[int, int]] = {}
        self.key_positions: dict[Pointer, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: Pointer) -> Any:
        self.positions[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            value = self.loader.construct_object(node, deep=True)
            if isinstance(value, (dt.date, dt.datetime)):  # only an explicit `!!timestamp` gets here
                return value.isoformat()
            return value
        if id(node) in self._active:
            raise _Recursive(node)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.Node, path: Pointer) -> dict[str, Any]:
        assert isinstance(node, yaml.MappingNode)
        # duplicates among the keys written here; keys merged in with `<<: *anchor` may be overridden
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key, where = str(key_node.value), _mark(key_node)
                if key in first_seen:
                    self.problems.append(Diagnostic(
                        "yaml_duplicate_key", f"duplicate key `{key}`", self.file, where[0], where[1],
                        hint=f"`{key}` is already set on line {first_seen[key][0]}; the later value wins",
                        field=field_path(path + (key,))))
                else:
                    first_seen[key] = where
        self.loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = _mark(key_node)
                self.problems.append(Diagnostic("yaml_syntax_error", "a mapping key must be plain text", self.file,
                                                line, column, hint="remove the `?` or the brackets around the key"))
                continue
            # the key as written: `true:`, `1:` and `null:` are the names `true`, `1` and `null`
            key = str(key_node.value)
            self.key_positions[path + (key,)] = _mark(key_node)
            out[key] = self.build(value_node, path + (key,))
        return out


def _parse_yaml(text: str, file: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a control character; the reader checks the whole text up front
        return None, [_reader_error(e, text, file)]
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            return None, [_yaml_error(e, file)]
        except yaml.reader.ReaderError as e:
            return None, [_reader_error(e, text, file)]
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
            return None, [_empty(file)]
        builder = _Builder(loader, file)
        try:
            data = builder.build(node, ())
        except yaml.MarkedYAMLError as e:
            return None, [_yaml_error(e, file)]
        except _Recursive as e:
            line, column = _mark(e.node)
            return None, [Diagnostic("yaml_syntax_error", "an alias refers to the node that contains it", file, line,
                                     column, hint="aliases must not be recursive")]
    finally:
        loader.dispose()
    problems = sorted(builder.problems, key=lambda d: (d.line or 0, d.column or 0))
    if any(d.code != "yaml_duplicate_key" for d in problems):
        return None, problems
    return SourceDocument(file, data, builder.positions, builder.key_positions, text), problems


def _empty(file: str) -> Diagnostic:
    return Diagnostic("yaml_empty_document", "the file holds no document", file, 1, 1,
                      hint="a catalogue entry or rule set is a mapping starting with `format:`")


def _reader_error(e: yaml.reader.ReaderError, text: str, file: str) -> Diagnostic:
    line, column = _line_col(text, e.position)
    return Diagnostic("yaml_syntax_error", f"control character U+{e.character:04X} is not allowed"
                      if isinstance(e.character, int) else f"unacceptable character ({e.reason})", file, line, column,
                      hint="remove the character or write it as an escape inside a double-quoted string")


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# ---------------------------------------------------------------------------------------------- JSON

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_WS = re.compile(r"[ \t\n\r]*")


class _JsonError(Exception):
    def __init__(self, message: str, index: int, hint: str | None = None):
        super().__init__(message)
        self.message, self.index, self.hint = message, index, hint


class _JsonReader:
    """A JSON reader that records positions and duplicate keys; the syntax itself is Python's `json`."""

    def __init__(self, text: str, file: str):
        self.text, self.file = text, file
        self.positions: dict[Pointer, tuple[int, int]] = {}
        self.key_positions: dict[Pointer, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []

    def _ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def value(self, i: int, path: Pointer) -> tuple[Any, int]:
        i = self._ws(i)
        self.positions[path] = _line_col(self.text, i)
        ch = self.text[i:i + 1]
        if ch == "{":
            return self._object(i + 1, path)
        if ch == "[":
            return self._array(i + 1, path)
        if ch == '"':
            return json.decoder.scanstring(self.text, i + 1)  # type: ignore[attr-defined,no-any-return]
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(self.text, i)
        if m and m.end() > i:
            s = m.group(0)
            return (float(s) if m.group(1) or m.group(2) else int(s)), m.end()
        bare = re.match(r"-?[A-Za-z]+", self.text[i:])
        raise _JsonError(f"`{bare.group(0) if bare else ch}` is not a JSON value", i,
                         hint="JSON has no NaN or Infinity" if bare else None)

    def _object(self, i: int, path: Pointer) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        i = self._ws(i)
        if self.text.startswith("}", i):
            return out, i + 1
        while True:
            i = self._ws(i)
            key, end = json.decoder.scanstring(self.text, i + 1)  # type: ignore[attr-defined]
            where = _line_col(self.text, i)
            if key in first_seen:
                self.problems.append(Diagnostic(
                    "yaml_duplicate_key", f"duplicate key `{key}`", self.file, where[0], where[1],
                    hint=f"`{key}` is already set on line {first_seen[key]}; the later value wins",
                    field=field_path(path + (key,))))
            else:
                first_seen[key] = where[0]
            self.key_positions[path + (key,)] = where
            i = self._ws(end) + 1  # past the `:`
            out[key], i = self.value(i, path + (key,))
            i = self._ws(i)
            if self.text.startswith("}", i):
                return out, i + 1
            i += 1  # past the `,`

    def _array(self, i: int, path: Pointer) -> tuple[list[Any], int]:
        out: list[Any] = []
        i = self._ws(i)
        if self.text.startswith("]", i):
            return out, i + 1
        while True:
            item, i = self.value(i, path + (len(out),))
            out.append(item)
            i = self._ws(i)
            if self.text.startswith("]", i):
                return out, i + 1
            i += 1


def _json_message(e: json.JSONDecodeError) -> tuple[str, str | None]:
    msg = _backticks(e.msg[:1].lower() + e.msg[1:])
    before = e.doc[:e.pos].rstrip()
    if before.endswith(",") and (e.msg.startswith("Expecting property name") or e.msg.startswith("Expecting value")):
        return "trailing comma", "JSON allows no comma after the last item"
    if e.msg.startswith("Expecting property name"):
        return msg, "JSON keys are written in double quotes"
    if e.msg.startswith("Invalid control character"):
        return "control character inside a string", "write a tab or a line break inside a string as `\\t` or `\\n`"
    return msg, None


def _parse_json(text: str, file: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        message, hint = _json_message(e)
        return None, [Diagnostic("json_syntax_error", message, file, e.lineno, e.colno, hint=hint)]
    reader = _JsonReader(text, file)
    try:
        data, _ = reader.value(0, ())
    except _JsonError as e:  # NaN and Infinity, which Python's json accepts and JSON does not
        line, column = _line_col(text, e.index)
        return None, [Diagnostic("json_syntax_error", e.message, file, line, column, hint=e.hint)]
    return SourceDocument(file, data, reader.positions, reader.key_positions, text), reader.problems


# ---------------------------------------------------------------------------------------------- files

def parse_text(text: str, file: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Parse YAML, or JSON when `file` ends in `.json`, into a SourceDocument; or return the diagnostics.

    The document comes back together with diagnostics when they do not stop reading (duplicate keys).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return None, [_empty(file)]
    if file.endswith(".json"):
        return _parse_json(text, file)
    return _parse_yaml(text, file)


def read_document(path: Path, display: str | None = None) -> tuple[SourceDocument | None, list[Diagnostic]]:
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, [Diagnostic("file_unreadable", f"cannot read file: {(e.strerror or str(e)).lower()}", name)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        line_start = raw.rfind(b"\n", 0, e.start) + 1
        column = len(raw[line_start:e.start].decode("utf-8", errors="replace")) + 1
        return None, [Diagnostic("file_encoding_error", f"file is not valid utf-8: byte `0x{raw[e.start]:02x}` "
                                 f"({e.reason})", name, line, column,
                                 hint="save the file as UTF-8; convert GBK or Latin-1 files first")]
    return parse_text(text, name)
