"""Reading YAML and JSON with positions: where nodes are, which scalars YAML 1.1 would misread, located errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.yamlsource import (
    APPLICATION_LIMITS,
    MAX_DOCUMENT_BYTES,
    Limits,
    SourceDocument,
    data_diagnostics,
    parse_text,
    read_document,
)

NESTED = """\
format: greencert/ruleset@1
criteria:
  - id: benzene
    requirement: {lte: 100, unit: mg/kg}
    applies_when:
      certification_units:
        - interior_wall_low_gloss
        - other_coatings
  - id: formaldehyde
    note: >-
      folded
      text
labels: [green_product, {id: environment}]
"""


def _doc(text: str, file: str = "f.yaml") -> SourceDocument:
    doc, diagnostics = parse_text(text, file)
    assert doc is not None and diagnostics == [], diagnostics
    return doc


def _one_problem(text: str, file: str = "f.yaml") -> tuple[str, int | None, int | None, str]:
    doc, diagnostics = parse_text(text, file)
    assert doc is None and len(diagnostics) == 1, diagnostics
    d = diagnostics[0]
    assert d.file == file
    return d.code, d.line, d.column, d.message


# ---------------------------------------------------------------------------------------------- positions

def test_positions_of_nested_values_and_keys() -> None:
    doc = _doc(NESTED)
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("criteria", 0)] == (3, 5)
    assert doc.key_positions[("criteria", 0, "requirement")] == (4, 5)
    assert doc.positions[("criteria", 0, "requirement")] == (4, 18)
    assert doc.positions[("criteria", 0, "requirement", "lte")] == (4, 24)
    assert doc.key_positions[("criteria", 0, "requirement", "unit")] == (4, 29)
    assert doc.positions[("criteria", 0, "requirement", "unit")] == (4, 35)


def test_positions_of_list_items_block_and_flow() -> None:
    doc = _doc(NESTED)
    units = ("criteria", 0, "applies_when", "certification_units")
    assert doc.positions[units + (0,)] == (7, 11)
    assert doc.positions[units + (1,)] == (8, 11)
    assert doc.positions[("criteria", 1)] == (9, 5)
    assert doc.positions[("labels", 0)] == (13, 10)
    assert doc.positions[("labels", 1)] == (13, 25)
    assert doc.key_positions[("labels", 1, "id")] == (13, 26)
    assert doc.data["criteria"][1]["note"] == "folded text"
    assert doc.positions[("criteria", 1, "note")] == (10, 11)


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    doc = _doc(NESTED)
    assert doc.locate(("criteria", 0, "requirement", "missing")) == (4, 18)
    assert doc.locate(("criteria", 0, "clause"), key=True) == (3, 5)
    assert doc.locate(("criteria", 0, "requirement"), key=True) == (4, 5)
    assert doc.locate(("nowhere", 3)) == (1, 1)


def test_a_diagnostic_carries_file_position_and_field() -> None:
    d = _doc(NESTED, "rules/x.yaml").diagnostic("rules_unit_error", "bad unit", ("criteria", 0, "requirement", "unit"))
    assert (d.file, d.line, d.column, d.field) == ("rules/x.yaml", 4, 35, "criteria[0].requirement.unit")


def test_positions_survive_comments_blank_lines_and_chinese_text() -> None:
    doc = _doc("# 注释\n\nname: {zh: 涂料, en: Coatings}\nclause: GB/T 35602-2017 评价指标要求 — 苯  # trailing\n")
    assert doc.positions[("name", "en")] == (3, 20)
    assert doc.data["clause"] == "GB/T 35602-2017 评价指标要求 — 苯"
    assert doc.key_positions[("clause",)] == (4, 1)


# ---------------------------------------------------------------------------------------------- YAML 1.1 gotchas

@pytest.mark.parametrize(("text", "value"), [
    ("on", "on"), ("off", "off"), ("yes", "yes"), ("no", "no"), ("y", "y"), ("n", "n"), ("NO", "NO"),
    ("true", True), ("False", False), ("TRUE", True),
    ("2018-07-01", "2018-07-01"), ("2018-07-01 10:00:00", "2018-07-01 10:00:00"),
    ("1e-5", 1e-5), ("1E+3", 1000.0), ("1.5e3", 1500.0), (".5", 0.5), ("-0.25", -0.25), ("100", 100), ("-3", -3),
    ("0", 0), ("1:30", "1:30"), ("017", "017"), ("0x1f", "0x1f"), ("0o17", "0o17"), ("1_000", "1_000"),
    (".inf", ".inf"), (".nan", ".nan"), ("~", None), ("null", None), ("", None), ("=", "="),
    ("'2018-07-01'", "2018-07-01"), ('"on"', "on"), ("'100'", "100"),
])
def test_scalars_read_the_way_json_would(text: str, value: Any) -> None:
    got = _doc(f"v: {text}\n").data["v"]
    assert got == value and type(got) is type(value)


def test_numbers_keep_their_kind() -> None:
    data = _doc("a: 100\nb: 100.0\nc: 1e2\n").data
    assert [type(data[k]) for k in "abc"] == [int, float, float]


def test_keys_are_read_as_written() -> None:
    assert list(_doc("true: a\n1: b\nnull: c\non: d\n2018-01-01: e\n").data) == ["true", "1", "null", "on", "2018-01-01"]


def test_explicit_timestamp_tag_still_gives_an_iso_string() -> None:
    assert _doc("d: !!timestamp 2018-07-01\n").data["d"] == "2018-07-01"


def test_anchors_and_merge_keys_work() -> None:
    # a key merged in with `<<` may be overridden without being a duplicate key
    doc = _doc("base: &b {lte: 100, unit: mg/kg}\nother:\n  <<: *b\n  unit: g/L\n")
    assert doc.data["other"] == {"lte": 100, "unit": "g/L"}
    assert doc.key_positions[("other", "unit")] == (4, 3)


# ---------------------------------------------------------------------------------------------- YAML errors

def test_tab_indentation_points_at_the_tab() -> None:
    code, line, column, message = _one_problem("a:\n  b: 1\n\tc: 2\n")
    assert (code, line, column, message) == ("yaml_syntax_error", 3, 1, "tab character in indentation")


def test_missing_colon_points_at_the_key_not_the_next_line() -> None:
    code, line, column, _ = _one_problem("a: 1\nlist:\n  - id: x\n    indicator benzene\n    clause: c\n")
    assert (code, line, column) == ("yaml_syntax_error", 4, 5)


def test_unclosed_flow_mapping_names_the_line_it_opened_on() -> None:
    doc, diagnostics = parse_text("a: {b: 1\nc: 2\n", "f.yaml")
    assert doc is None and diagnostics[0].hint == "the `{` opened on line 1 is not closed"


def test_unclosed_quote_points_at_the_opening_quote() -> None:
    assert _one_problem('a: 1\nb: "abc\nc: 2\n')[:3] == ("yaml_syntax_error", 2, 4)


def test_messages_use_backticks_and_no_pyyaml_internals() -> None:
    for text in ("a: *nope\n", "a: !custom 1\n", "a: b: c\n", "a:\n  - b\n  c: 1\n", "a: 1\n---\nb: 2\n"):
        _, line, column, message = _one_problem(text)
        assert line is not None and column is not None
        assert "'" not in message and "<" not in message and not message[0].isupper(), message


def test_duplicate_keys_are_reported_and_the_document_still_read() -> None:
    doc, diagnostics = parse_text("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yaml")
    assert doc is not None and doc.data == {"a": 3, "b": {"c": 2}}
    assert [(d.code, d.line, d.column, d.field) for d in diagnostics] == [
        ("yaml_duplicate_key", 4, 3, "b.c"), ("yaml_duplicate_key", 5, 1, "a")]
    assert diagnostics[1].hint == "`a` is already set on line 1; the later value wins"


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "\ufeff", "---\n", "--- null\n", "~\n"])
def test_empty_documents(text: str) -> None:
    assert _one_problem(text)[:3] == ("yaml_empty_document", 1, 1)


def test_control_characters_and_recursive_aliases_do_not_raise() -> None:
    assert _one_problem("a: 1\nb: x\x00y\n")[:3] == ("yaml_syntax_error", 2, 5)
    assert _one_problem("a: &x [1, *x]\n")[0] == "yaml_syntax_error"
    assert _one_problem("? [a, b]\n: 1\n")[0] == "yaml_syntax_error"


def test_a_byte_order_mark_is_ignored() -> None:
    doc = _doc("\ufeffa: 1\n")
    assert doc.data == {"a": 1} and doc.positions[("a",)] == (1, 4)


# ---------------------------------------------------------------------------------------------- JSON

JSON_TEXT = """{
  "format": "greencert/ruleset@1",
  "criteria": [
    {"id": "benzene", "requirement": {"lte": 1e-5, "unit": "mg/kg"}},
    {"id": "x", "on": true, "d": "2018-07-01", "n": null}
  ]
}
"""


def test_json_positions() -> None:
    doc = _doc(JSON_TEXT, "f.json")
    assert doc.data == json.loads(JSON_TEXT)
    assert doc.positions[("criteria",)] == (3, 15)
    assert doc.positions[("criteria", 0)] == (4, 5)
    assert doc.key_positions[("criteria", 0, "requirement")] == (4, 23)
    assert doc.positions[("criteria", 0, "requirement", "lte")] == (4, 46)
    assert doc.positions[("criteria", 1, "n")] == (5, 53)


def test_json_keeps_json_meaning() -> None:
    data = _doc('{"on": "yes", "d": "2018-07-01", "e": 1e-5, "s": "\\ud83d\\ude00 \\/"}', "f.json").data
    assert data == {"on": "yes", "d": "2018-07-01", "e": 1e-5, "s": "😀 /"}


def test_json_indented_with_tabs_is_valid_json() -> None:
    doc = _doc('{\n\t"a": {\n\t\t"b": [1, 2]\n\t}\n}\n', "f.json")
    assert doc.data == {"a": {"b": [1, 2]}}
    assert doc.positions[("a", "b", 1)] == (3, 12)


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ('{\n  "a": 1,\n}\n', 3, 1, "trailing comma"),
    ('{\n  "a": [1, 2,]\n}', 2, 14, "trailing comma"),
    ('{\n  a: 1\n}', 2, 3, "expecting property name enclosed in double quotes"),
    ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expecting `,` delimiter"),
    ('{"a": "x\ty"}', 1, 9, "control character inside a string"),
    ('{\n  "a": NaN\n}', 2, 8, "`NaN` is not a JSON value"),
    ('{\n  "a": -Infinity\n}', 2, 8, "`-Infinity` is not a JSON value"),
    ('{"a": 1} extra', 1, 10, "extra data"),
])
def test_json_errors_are_located(text: str, line: int, column: int, message: str) -> None:
    assert _one_problem(text, "f.json") == ("json_syntax_error", line, column, message)


def test_json_duplicate_keys_are_reported() -> None:
    doc, diagnostics = parse_text('{\n  "a": 1,\n  "a": 2\n}', "f.json")
    assert doc is not None and doc.data == {"a": 2}
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("yaml_duplicate_key", 3, 3)]


# ---------------------------------------------------------------------------------------------- files

def test_read_document_reports_non_utf8_bytes_with_their_position(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("a: 1\nname: 涂料\n".encode("gbk"))
    doc, diagnostics = read_document(path, "gbk.yaml")
    assert doc is None
    # GBK 涂 (cd bf) happens to be a valid UTF-8 sequence; 料 (c1 cf) is not: column 8, after `name: ` and one char
    assert [(d.code, d.file, d.line, d.column) for d in diagnostics] == [("file_encoding_error", "gbk.yaml", 2, 8)]
    assert "`0xc1`" in diagnostics[0].message


def test_read_document_of_a_folder_is_a_diagnostic(tmp_path: Path) -> None:
    doc, diagnostics = read_document(tmp_path)
    assert doc is None and diagnostics[0].code == "file_unreadable" and diagnostics[0].line is None


# ---------------------------------------------------------------------------------------------- properties

_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
# NUL and lone surrogates are refused in every document (test_numbers_that_fit_no_double_and_unstorable_text_are_refused)
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                          st.floats(allow_nan=False, allow_infinity=False), st.text(alphabet=_chars, max_size=12))
_json_values = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(alphabet=_chars, max_size=6), inner, max_size=4)),
    max_leaves=20)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, path + (i,))
    return out


def _char_at(text: str, line: int, column: int) -> str:
    return text.split("\n")[line - 1][column - 1]  # JSON lines end at `\n` only (not at U+2028)


@settings(max_examples=150, deadline=None)
@given(value=_json_values, indent=st.sampled_from([None, 1, 2, "\t"]), ascii_only=st.booleans())
def test_json_reader_agrees_with_json_and_locates_every_value(value: Any, indent: Any, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    doc = _doc(text, "f.json")
    assert doc.data == json.loads(text)
    for path, v in _paths(value):
        line, column = doc.positions[path]
        first = _char_at(text, line, column)
        expected = {dict: "{", list: "[", str: '"', bool: "tf", type(None): "n"}.get(type(v), "-0123456789")
        assert first in expected, (path, v, first)


_yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                          st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not math.isinf(f)),
                          st.text(alphabet="abcdefghij klmnopqrstuvwxyz涂料", max_size=10))
_yaml_values = st.recursive(_yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_names, inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(value=st.dictionaries(_names, _yaml_values, min_size=1, max_size=4), flow=st.sampled_from([None, False, True]))
def test_yaml_written_by_pyyaml_reads_back_identically(value: dict[str, Any], flow: bool | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    doc = _doc(text)
    assert doc.data == value
    for path, _ in _paths(value):
        assert path in doc.positions
        if path and isinstance(path[-1], str):
            line, column = doc.key_positions[path]
            assert text.splitlines()[line - 1][column - 1:].lstrip("'\"").startswith(path[-1])


# ---------------------------------------------------------------------------------------------- limits and values

def test_limits_are_located_diagnostics() -> None:
    small = Limits(max_depth=5, max_nodes=20)
    deep_flow = parse_text("a: " + "[" * 10 + "]" * 10 + "\n", "f.yaml", limits=small)[1]
    assert [(d.code, d.line) for d in deep_flow] == [("document_too_deep", 1)]
    deep_block = parse_text("".join("  " * i + f"k{i}:\n" for i in range(10)) + "  " * 10 + "x\n", "f.yaml",
                            limits=small)[1]
    assert [d.code for d in deep_block] == ["document_too_deep"]
    assert [d.code for d in parse_text("[" * 10 + "]" * 10, "f.json", limits=small)[1]] == ["document_too_deep"]
    many = "\n".join(f"k{i}: {i}" for i in range(30))
    assert [d.code for d in parse_text(many, "f.yaml", limits=small)[1]] == ["too_many_nodes"]
    assert [d.code for d in parse_text(json.dumps(dict(enumerate(range(30)))), "f.json", limits=small)[1]] == [
        "too_many_nodes"]
    assert [d.code for d in parse_text("x" * 101, "f.yaml", limits=Limits(max_bytes=100))[1]] == ["document_too_large"]


def test_aliases_are_bounded_in_rule_files_and_refused_in_applications() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    # 10**9 values once expanded; the top-level key whose expansion passes the bound is named
    assert [(d.code, d.line, d.column) for d in parse_text(laughs, "f.yaml")[1]] == [("yaml_alias_limit", 5, 1)]
    small = "a: &a [1, 2]\nb: *a\n"
    assert _doc(small).data == {"a": [1, 2], "b": [1, 2]}
    doc, diagnostics = parse_text(small, "f.yaml", limits=APPLICATION_LIMITS, kind="application")
    assert doc is None and [(d.code, d.line, d.column) for d in diagnostics] == [("yaml_alias_refused", 2, 4)]


@pytest.mark.parametrize(("text", "file", "code", "column"), [
    ("a: 1e400\n", "f.yaml", "number_out_of_range", 4),
    ("a: -1e400\n", "f.yaml", "number_out_of_range", 4),
    ("a: !!float .nan\n", "f.yaml", "number_out_of_range", 4),
    ("a: " + "9" * 400 + "\n", "f.yaml", "number_out_of_range", 4),
    ("a: " + "9" * 5000 + "\n", "f.yaml", "number_out_of_range", 4),
    ('{"a": 1e400}', "f.json", "number_out_of_range", 7),
    ('{"a": ' + "9" * 5000 + "}", "f.json", "number_out_of_range", 7),
    ('a: "x\\0y"\n', "f.yaml", "invalid_text", 4),
    ('a: "\\ud800"\n', "f.yaml", "invalid_text", 4),
    ('"\\0": 1\n', "f.yaml", "invalid_text", 1),
    ('{"a": "x\\u0000"}', "f.json", "invalid_text", 7),
    ('{"a": "\\udc00"}', "f.json", "invalid_text", 7),
])
def test_numbers_that_fit_no_double_and_unstorable_text_are_refused(text: str, file: str, code: str,
                                                                    column: int) -> None:
    assert _one_problem(text, file)[:3] == (code, 1, column)


def test_minus_zero_is_read_as_zero() -> None:
    for text, file in (("a: -0.0\n", "f.yaml"), ('{"a": -0.0}', "f.json")):
        value = _doc(text, file).data["a"]
        assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_data_diagnostics_check_parsed_data_by_field() -> None:
    data = {"a": [1.0, float("nan")], "b": {"c": 10 ** 400, "d": "x\x00"}, "e": float("inf")}
    assert [(d.code, d.field) for d in data_diagnostics(data, "<request>")] == [
        ("number_out_of_range", "a[1]"), ("number_out_of_range", "b.c"), ("invalid_text", "b.d"),
        ("number_out_of_range", "e")]
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    assert [d.code for d in data_diagnostics(deep, "<request>")] == ["document_too_deep"]


def test_unclosed_bracket_at_the_end_is_reported_where_it_opened() -> None:
    assert _one_problem("a: 1\nb: [x, y\n\n\n")[:3] == ("yaml_syntax_error", 2, 4)
    assert _one_problem('{\n  "a": [1,\n 2\n\n', "f.json")[:3] == ("json_syntax_error", 2, 8)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_unicode_files_with_a_byte_order_mark_are_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "f.yaml"
    raw = "a: 涂料\n".encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    path.write_bytes(raw)
    doc, diagnostics = read_document(path)
    assert diagnostics == [] and doc is not None and doc.data == {"a": "涂料"}


def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("a: 1\nb: 2\n".encode("utf-16-le"))
    doc, diagnostics = read_document(path)
    assert doc is None and diagnostics[0].code == "file_encoding_error" and "UTF-16" in diagnostics[0].message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: nothing to read, so a read would show in the answer
    doc, diagnostics = read_document(path)
    assert doc is None and [d.code for d in diagnostics] == ["document_too_large"]
    assert f"{MAX_DOCUMENT_BYTES + 1:,}" in diagnostics[0].message


def test_empty_application_hint_speaks_of_applications() -> None:
    hint = parse_text("", "a.yaml", kind="application")[1][0].hint
    assert hint is not None and "application" in hint
