"""Read YAML or JSON keeping the line and column of every node, so later stages can point at it.

Every document the project reads (catalogue entries, rule sets, overlays, applications; from a file, the CLI or the
API) comes through here, and reading is bounded: the size is checked before the file is read, the nesting depth and
the node count while it is parsed, and YAML aliases either refused (applications) or bounded by the node count once
expanded (rule files). Numbers must fit a double; text must not hold NUL characters or lone surrogates. Each
refusal is a located diagnostic, never a traceback (docs/authoring.md, "Limits of the reader").
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, field_path

__all__ = ["Pointer", "SourceDocument", "Limits", "DEFAULT_LIMITS", "APPLICATION_LIMITS", "MAX_DOCUMENT_BYTES",
           "MAX_DEPTH", "MAX_NODES", "read_document", "parse_text", "data_diagnostics"]

Pointer = tuple[str | int, ...]

# The largest shipped file is 18 KB, 552 values and 7 levels deep (rules/detergents); an application with the
# API's 500 results is about 100 KB and 3,000 values. The limits leave a tenfold margin or more, and stop a hostile
# document within about a second of pure-Python parsing (a YAML mapping of 190,000 keys is refused after 50,000).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 200
MAX_NODES = 50_000
# the largest integer a double holds without overflowing: beyond it a number cannot be compared with a limit
_MAX_INTEGER = int(sys.float_info.max)


@dataclass(frozen=True)
class Limits:
    """What one document may be: bytes (characters for text already decoded), nesting depth, nodes (after YAML
    aliases are expanded), and whether YAML aliases are accepted at all."""

    max_bytes: int = MAX_DOCUMENT_BYTES
    max_depth: int = MAX_DEPTH
    max_nodes: int = MAX_NODES
    aliases: bool = True


DEFAULT_LIMITS = Limits()
# an application is data a client sends: an alias saves it nothing and could expand it a billionfold
APPLICATION_LIMITS = Limits(aliases=False)

_EMPTY_HINTS = {
    "rules": "a catalogue entry or rule set is a mapping starting with `format:`",
    "application": "an application is a mapping starting with `format: greencert/application@1`",
}


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

class _Limit(Exception):
    """A bound of `Limits` was reached while reading: (code, message, hint) at a mark."""

    def __init__(self, code: str, message: str, hint: str, mark: Any):
        super().__init__(message)
        self.code, self.message, self.hint, self.mark = code, message, hint, mark


def _too_deep(limits: Limits, mark: yaml.Mark | None) -> _Limit:
    return _Limit("document_too_deep", f"the document is nested more than {limits.max_depth} levels deep", "greencert "
                  "documents nest a few levels; flatten the structure", mark)


def _too_many_nodes(limits: Limits, mark: yaml.Mark | None) -> _Limit:
    return _Limit("too_many_nodes", f"the document holds more than {limits.max_nodes:,} values",
                  "split it into several files or requests", mark)


class _Loader(yaml.SafeLoader):
    """SafeLoader with JSON-like scalars: the JSON Schema then sees exactly what JSON input would give.

    It also enforces `Limits` as it goes, before the work they bound is done: depth when the scanner opens a
    collection (PyYAML's scanner is quadratic in the flow depth, its composer recursive), node count and aliases
    when the composer makes a node."""

    limits: Limits = DEFAULT_LIMITS
    _depth = 0
    _nodes = 0

    def __init__(self, stream: str):
        self.open_flows: list[tuple[str, Any]] = []  # the `[` and `{` not closed yet, where they opened
        super().__init__(stream)

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level + len(self.indents) >= self.limits.max_depth:
            raise _too_deep(self.limits, self.get_mark())
        self.open_flows.append((self.peek(), self.get_mark()))
        super().fetch_flow_collection_start(TokenClass)

    def fetch_flow_collection_end(self, TokenClass: Any) -> None:
        if self.open_flows:
            self.open_flows.pop()
        super().fetch_flow_collection_end(TokenClass)

    def add_indent(self, column: int) -> bool:
        added: bool = super().add_indent(column)
        if added and self.flow_level + len(self.indents) > self.limits.max_depth:
            raise _too_deep(self.limits, self.get_mark())
        return added

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) and not self.limits.aliases:
            raise _Limit("yaml_alias_refused", "YAML aliases are not accepted in an application",
                         "write the values out instead of `*alias`", event.start_mark)
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > self.limits.max_depth:
                raise _too_deep(self.limits, event.start_mark)
            if self._nodes > self.limits.max_nodes:
                raise _too_many_nodes(self.limits, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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


def _yaml_error(e: yaml.MarkedYAMLError, file: str, open_flows: list[tuple[str, Any]] | None = None) -> Diagnostic:
    problem = (e.problem or "").strip()
    context = (e.context or "").strip()
    mark = e.problem_mark or e.context_mark
    if open_flows and ("<stream end>" in problem or "end of stream" in problem):
        # the end of the file reached inside a `[` or `{`: the author has to look where it opened
        opener, where = open_flows[-1]
        closer = "}" if opener == "{" else "]"
        return Diagnostic("yaml_syntax_error", f"the `{opener}` opened here is not closed", file, where.line + 1,
                          where.column + 1, hint=f"close it with `{closer}` before the end of the file")
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


# NUL cannot be stored (PostgreSQL text refuses it) and a lone surrogate cannot be encoded as UTF-8: both could
# be written only as escapes (`"\0"`, `"\ud800"`), and neither means anything in a certification document
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_INT_TAG = "tag:yaml.org,2002:int"


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:12] + "…" + text[-8:]


def _number_problem(value: Any, written: str) -> tuple[str, str] | None:
    """(message, hint) when `value` is a number that cannot be compared with a limit: not finite (NaN, an
    infinity, or a float that overflows, `1e400`) or an integer beyond what a double holds."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return f"`{_short(written)}` is not a number", "write a finite number"
        return f"number `{_short(written)}` is too large", _NUMBER_HINT
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INTEGER:
        return f"number `{_short(written)}` is too large", _NUMBER_HINT
    return None


_NUMBER_HINT = "numbers must be finite and at most about 1.8e308 in magnitude"


def _text_problem(text: str) -> str | None:
    m = _BAD_TEXT.search(text)
    if m is None:
        return None
    return "text holds a NUL character" if m.group(0) == "\x00" else f"text holds a lone surrogate U+{ord(m.group(0)):04X}"


_TEXT_HINT = "remove it: greencert text is plain Unicode without NUL characters or unpaired surrogates"


class _Builder:
    """Turns a composed YAML node tree into plain data, recording where each node and key starts.

    The composer already bounded the nodes as written; here aliases are expanded, so the node count and depth are
    bounded again (a "billion laughs" is a few nested aliases), and every scalar is checked."""

    def __init__(self, loader: _Loader, file: str, limits: Limits):
        self.loader = loader
        self.file = file
        self.limits = limits
        self.positions: dict[Pointer, tuple[int, int]] = {}
        self.key_positions: dict[Pointer, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self._active: set[int] = set()
        self._built = 0

    def _problem(self, code: str, message: str, hint: str, node: yaml.Node, path: Pointer) -> None:
        line, column = _mark(node)
        self.problems.append(Diagnostic(code, message, self.file, line, column, hint=hint,
                                        field=field_path(path) or None))

    def build(self, node: yaml.Node, path: Pointer) -> Any:
        self._built += 1
        if self._built > self.limits.max_nodes:
            # the composer counted the nodes as written, so aliases made the excess; a node reached through an
            # alias carries the anchor's position: the top-level key being built says where the expansion is
            line, column = self.key_positions.get(path[:1], _mark(node))
            raise _Limit("yaml_alias_limit", f"aliases expand the document to more than {self.limits.max_nodes:,} "
                         "values", "write the values out, or use fewer nested aliases",
                         yaml.Mark(self.file, 0, line - 1, column - 1, None, 0))
        if len(path) > self.limits.max_depth:
            raise _too_deep(self.limits, node.start_mark)
        self.positions[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            raise _Recursive(node)
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: Pointer) -> Any:
        written = str(node.value)
        if node.tag == _INT_TAG and len(written) > 400:  # Python refuses to convert more than 4,300 digits
            self._problem("number_out_of_range", f"number `{_short(written)}` is too large",
                          _NUMBER_HINT, node, path)
            return None
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, (dt.date, dt.datetime)):  # only an explicit `!!timestamp` gets here
            return value.isoformat()
        if isinstance(value, str):
            text_problem = _text_problem(value)
            if text_problem:
                self._problem("invalid_text", text_problem, _TEXT_HINT, node, path)
            return value
        number_problem = _number_problem(value, written)
        if number_problem:
            self._problem("number_out_of_range", *number_problem, node, path)
            return None
        if isinstance(value, float) and value == 0.0:
            return 0.0  # -0.0 is read as 0.0: a measured zero has no sign (docs/authoring.md)
        return value

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
            text_problem = _text_problem(key)
            if text_problem:
                self._problem("invalid_text", "a key " + text_problem.removeprefix("text "), _TEXT_HINT, key_node,
                              path)
                continue
            self.key_positions[path + (key,)] = _mark(key_node)
            out[key] = self.build(value_node, path + (key,))
        return out


def _limit_diagnostic(e: _Limit, file: str) -> Diagnostic:
    mark = e.mark
    return Diagnostic(e.code, e.message, file, mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                      hint=e.hint)


def _parse_yaml(text: str, file: str, limits: Limits, kind: str) -> tuple[SourceDocument | None, list[Diagnostic]]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a control character; the reader checks the whole text up front
        return None, [_reader_error(e, text, file)]
    loader.limits = limits
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            return None, [_yaml_error(e, file, loader.open_flows)]
        except yaml.reader.ReaderError as e:
            return None, [_reader_error(e, text, file)]
        except _Limit as e:
            return None, [_limit_diagnostic(e, file)]
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
            return None, [_empty(file, kind)]
        builder = _Builder(loader, file, limits)
        try:
            data = builder.build(node, ())
        except yaml.MarkedYAMLError as e:
            return None, [_yaml_error(e, file)]
        except _Limit as e:
            return None, [_limit_diagnostic(e, file)]
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


def _empty(file: str, kind: str) -> Diagnostic:
    return Diagnostic("yaml_empty_document", "the file holds no document", file, 1, 1,
                      hint=_EMPTY_HINTS.get(kind, _EMPTY_HINTS["rules"]))


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
    def __init__(self, message: str, index: int, hint: str | None = None, code: str = "json_syntax_error"):
        super().__init__(message)
        self.message, self.index, self.hint, self.code = message, index, hint, code


class _JsonReader:
    """A JSON reader that records positions and duplicate keys; the syntax itself is Python's `json`, and the
    nesting depth was checked before (`_json_brackets`)."""

    def __init__(self, text: str, file: str, limits: Limits):
        self.text, self.file, self.limits = text, file, limits
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        self.positions: dict[Pointer, tuple[int, int]] = {}
        self.key_positions: dict[Pointer, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self._nodes = 0

    def _ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _line_col(self, index: int) -> tuple[int, int]:
        """`_line_col` in O(log n): a document of many values on few lines must not cost O(n) per value."""
        before = bisect.bisect_left(self._newlines, index)
        return before + 1, index - (self._newlines[before - 1] + 1 if before else 0) + 1

    def _problem(self, code: str, message: str, hint: str, i: int, path: Pointer) -> None:
        line, column = self._line_col(i)
        self.problems.append(Diagnostic(code, message, self.file, line, column, hint=hint,
                                        field=field_path(path) or None))

    def _string(self, i: int, path: Pointer) -> tuple[str, int]:
        value, end = json.decoder.scanstring(self.text, i + 1)  # type: ignore[attr-defined]
        text_problem = _text_problem(value)
        if text_problem:
            self._problem("invalid_text", text_problem, _TEXT_HINT, i, path)
        return value, end

    def value(self, i: int, path: Pointer) -> tuple[Any, int]:
        i = self._ws(i)
        self._nodes += 1
        if self._nodes > self.limits.max_nodes:
            raise _JsonError(f"the document holds more than {self.limits.max_nodes:,} values", i,
                             "split it into several files or requests", code="too_many_nodes")
        self.positions[path] = self._line_col(i)
        ch = self.text[i:i + 1]
        if ch == "{":
            return self._object(i + 1, path)
        if ch == "[":
            return self._array(i + 1, path)
        if ch == '"':
            return self._string(i, path)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(self.text, i)
        if m and m.end() > i:
            s = m.group(0)
            if not (m.group(1) or m.group(2)) and len(s) > 400:  # Python refuses to convert more than 4,300 digits
                self._problem("number_out_of_range", f"number `{_short(s)}` is too large",
                              _NUMBER_HINT, i, path)
                return None, m.end()
            number: float | int = float(s) if m.group(1) or m.group(2) else int(s)
            problem = _number_problem(number, s)
            if problem:
                self._problem("number_out_of_range", *problem, i, path)
                return None, m.end()
            if isinstance(number, float) and number == 0.0:
                number = 0.0  # -0.0 is read as 0.0, as in YAML
            return number, m.end()
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
            where = self._line_col(i)
            text_problem = _text_problem(key)
            if text_problem:
                self._problem("invalid_text", "a key " + text_problem.removeprefix("text "), _TEXT_HINT, i, path)
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


_JSON_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _json_brackets(text: str, max_depth: int | None) -> tuple[int | None, int | None]:
    """A scan of the brackets outside strings: (index where the nesting first goes deeper than `max_depth`,
    index of the innermost bracket still open at the end). Run before Python's `json`, which recurses."""
    stack: list[int] = []
    for m in _JSON_STRUCTURE.finditer(text):
        token = m.group(0)
        if token in "[{":
            stack.append(m.start())
            if max_depth is not None and len(stack) > max_depth:
                return m.start(), None
        elif token in "]}" and stack:
            stack.pop()
    return None, stack[-1] if stack else None


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


def _parse_json(text: str, file: str, limits: Limits) -> tuple[SourceDocument | None, list[Diagnostic]]:
    too_deep = None
    if text.count("[") + text.count("{") > limits.max_depth:  # else the depth cannot exceed it: no scan
        too_deep, _ = _json_brackets(text, limits.max_depth)
    if too_deep is not None:
        line, column = _line_col(text, too_deep)
        return None, [Diagnostic("document_too_deep", f"the document is nested more than {limits.max_depth} levels "
                                 "deep", file, line, column, hint="greencert documents nest a few levels; flatten the "
                                 "structure")]
    try:
        # numbers are only checked for syntax here: the reader below converts and checks them, with positions
        json.loads(text, parse_int=len, parse_float=len, parse_constant=len)
    except json.JSONDecodeError as e:
        unclosed = _json_brackets(text, None)[1] if not text[e.pos:].strip() else None
        if unclosed is not None:
            # the end of the file reached inside a collection: the author has to look where it opened
            opener = text[unclosed]
            line, column = _line_col(text, unclosed)
            return None, [Diagnostic("json_syntax_error", f"the `{opener}` opened here is not closed", file, line,
                                     column, hint=f"close it with `{']' if opener == '[' else '}'}` before the end of "
                                     "the file")]
        message, hint = _json_message(e)
        return None, [Diagnostic("json_syntax_error", message, file, e.lineno, e.colno, hint=hint)]
    reader = _JsonReader(text, file, limits)
    try:
        data, _ = reader.value(0, ())
    except _JsonError as e:  # NaN and Infinity, which Python's json accepts and JSON does not; too many values
        line, column = _line_col(text, e.index)
        return None, [Diagnostic(e.code, e.message, file, line, column, hint=e.hint)]
    problems = sorted(reader.problems, key=lambda d: (d.line or 0, d.column or 0))
    if any(d.code != "yaml_duplicate_key" for d in problems):
        return None, problems
    return SourceDocument(file, data, reader.positions, reader.key_positions, text), problems


# ---------------------------------------------------------------------------------------------- files

def _too_large(file: str, size: int, limits: Limits, unit: str = "bytes") -> Diagnostic:
    return Diagnostic("document_too_large", f"the document is {size:,} {unit}; at most {limits.max_bytes:,} are read",
                      file, hint="split it into several files or requests")


def parse_text(text: str, file: str, *, limits: Limits = DEFAULT_LIMITS,
               kind: str = "rules") -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Parse YAML, or JSON when `file` ends in `.json`, into a SourceDocument; or return the diagnostics.

    The document comes back together with diagnostics when they do not stop reading (duplicate keys). `kind`
    (`rules` or `application`) is what the reader expects, for the hints.
    """
    if len(text) > limits.max_bytes:
        return None, [_too_large(file, len(text), limits, "characters")]
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return None, [_empty(file, kind)]
    try:
        if file.endswith(".json"):
            return _parse_json(text, file, limits)
        return _parse_yaml(text, file, limits, kind)
    except RecursionError:  # only when the caller's own stack is already deep: the limits keep ours shallow
        return None, [Diagnostic("document_too_deep", "the document is nested too deeply to read", file,
                                 hint="greencert documents nest a few levels; flatten the structure")]


# byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one)
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _decode(raw: bytes, name: str) -> tuple[str | None, Diagnostic | None]:
    """UTF-8 with or without a byte-order mark, UTF-16 and UTF-32 with one; anything else is a diagnostic."""
    encoding, body = "utf-8", raw
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            encoding, body = enc, raw[len(bom):]
            break
    try:
        return body.decode(encoding), None
    except UnicodeDecodeError as e:
        if encoding != "utf-8":
            return None, Diagnostic("file_encoding_error", f"file is not valid {encoding.upper()[:6]} "
                                    f"({e.reason})", name, hint="save the file as UTF-8")
        line = body.count(b"\n", 0, e.start) + 1
        line_start = body.rfind(b"\n", 0, e.start) + 1
        column = len(body[line_start:e.start].decode("utf-8", errors="replace")) + 1
        return None, Diagnostic("file_encoding_error", f"file is not valid utf-8: byte `0x{body[e.start]:02x}` "
                                f"({e.reason})", name, line, column,
                                hint="save the file as UTF-8; convert GBK or Latin-1 files first")


def _utf16_without_bom(raw: bytes) -> bool:
    """ASCII text saved as UTF-16 without a byte-order mark: every other byte is NUL."""
    head = raw[:200]
    return len(head) >= 4 and head.count(0) * 3 >= len(head) and (head[0] == 0) != (head[1] == 0)


def read_document(path: Path, display: str | None = None, *, limits: Limits = DEFAULT_LIMITS,
                  kind: str = "rules") -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Read and parse one file; its size is checked before it is read, so a huge file costs nothing."""
    name = display or str(path)
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limits.max_bytes:
                return None, [_too_large(name, size, limits)]
            raw = f.read(limits.max_bytes + 1)  # a pipe or device has no size to check first
    except OSError as e:
        return None, [Diagnostic("file_unreadable", f"cannot read file: {(e.strerror or str(e)).lower()}", name)]
    if len(raw) > limits.max_bytes:
        return None, [_too_large(name, len(raw), limits)]
    if _utf16_without_bom(raw):
        return None, [Diagnostic("file_encoding_error", "file looks like UTF-16 without a byte-order mark", name, 1, 1,
                                 hint="save the file as UTF-8 (or as UTF-16 with a byte-order mark)")]
    text, problem = _decode(raw, name)
    if text is None:
        assert problem is not None
        return None, [problem]
    return parse_text(text, name, limits=limits, kind=kind)


def data_diagnostics(data: Any, file: str, *, limits: Limits = DEFAULT_LIMITS) -> list[Diagnostic]:
    """The reader's checks for data that arrived already parsed (the API's JSON): depth, node count, numbers that
    fit a double, text without NUL or lone surrogates. Located by field path. Iterative: depth cannot hurt it."""
    out: list[Diagnostic] = []
    nodes = 0
    stack: list[tuple[Pointer, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            return [Diagnostic("too_many_nodes", f"the document holds more than {limits.max_nodes:,} values", file,
                               hint="split it into several files or requests")]
        if len(path) > limits.max_depth:
            return [Diagnostic("document_too_deep", f"the document is nested more than {limits.max_depth} levels "
                               "deep", file, hint="greencert documents nest a few levels; flatten the structure",
                               field=field_path(path[:limits.max_depth]) or None)]
        where = field_path(path) or None
        if isinstance(value, dict):
            for k, v in value.items():
                problem = _text_problem(str(k))
                if problem:
                    out.append(Diagnostic("invalid_text", "a key " + problem.removeprefix("text "), file,
                                          hint=_TEXT_HINT, field=where))
                stack.append((path + (str(k),), v))
        elif isinstance(value, (list, tuple)):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                out.append(Diagnostic("invalid_text", problem, file, hint=_TEXT_HINT, field=where))
        elif isinstance(value, (int, float)):
            number_problem = _number_problem(value, repr(value) if isinstance(value, float) else
                                             str(value) if abs(value) < 10 ** 400 else "a number of 400 digits or more")
            if number_problem:
                message, hint = number_problem
                out.append(Diagnostic("number_out_of_range", message, file, hint=hint, field=where))
    return sorted(out, key=lambda d: d.field or "")
