"""Load catalogue and rule-set files: parse, validate against the schema, type, check semantics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import ops
from .diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from .models import (
    COMPARISON_OPS,
    CONDITION_OPS,
    CatalogFile,
    Category,
    Condition,
    Parameter,
    Provenance,
    RuleSet,
    Scheme,
    SchemeFile,
)
from .schema_check import schema_diagnostics
from .units import IncompatibleUnits, UnitError, check_unit, conversion
from .yamlsource import Pointer, SourceDocument, read_document

__all__ = [
    "PROJECT_ROOT", "default_catalog_dir", "default_rules_dir", "LoadedCategory", "LoadedRuleSet",
    "LoadResult", "discover", "empty_folders", "load", "content_hash",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# the copies of catalogs/ and rules/ that a built (non-editable) package carries (setup.py's build_py)
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
_SUFFIXES = (".yaml", ".yml", ".json")


def _shipped(name: str) -> Path:
    """The shipped `catalogs` or `rules`: the checkout's own (a source tree, or an editable install) when this
    engine runs from one, else the copy inside the installed package."""
    checkout = PROJECT_ROOT / name
    if (PROJECT_ROOT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return SHIPPED_DIR / name


def default_catalog_dir() -> Path:
    return Path(os.environ.get("GREENCERT_CATALOG_DIR") or _shipped("catalogs"))


def default_rules_dir() -> Path:
    return Path(os.environ.get("GREENCERT_RULES_DIR") or _shipped("rules"))


@dataclass(frozen=True)
class LoadedCategory:
    category: Category
    file: str


@dataclass(frozen=True)
class LoadedRuleSet:
    ruleset: RuleSet
    file: str
    doc: SourceDocument = field(repr=False, compare=False)


@dataclass
class LoadResult:
    categories: dict[str, LoadedCategory] = field(default_factory=dict)
    rulesets: dict[str, LoadedRuleSet] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    scheme: Scheme | None = None  # what holds for every category (catalogs/scheme.yaml)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def discover(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix in _SUFFIXES
                              and not any(part.startswith(".") for part in q.parts)))
        else:
            out.append(p)
    return out


def empty_folders(paths: Iterable[Path]) -> list[Diagnostic]:
    """`no_rule_files` for each folder among `paths` that holds no file `discover` would read: for `greencert
    validate`, where validating nothing must not look like success. (A service may start with an empty folder.)"""
    return [Diagnostic("no_rule_files", f"no rule files found in `{folder}`", str(folder),
                       hint="catalogue entries and rule sets are files ending in `.yaml`, `.yml` or `.json`")
            for folder in paths if folder.is_dir() and not discover([folder])]


_FORMATS = ("greencert/catalog@1", "greencert/ruleset@1", "greencert/scheme@1")


def _is_scheme(doc: SourceDocument) -> bool:
    return isinstance(doc.data, dict) and (doc.data.get("format") == "greencert/scheme@1"
                                           or isinstance(doc.data.get("scheme"), dict))


def _warning(d: Diagnostic) -> Diagnostic:
    return dataclasses.replace(d, severity="warning")


def _readable(doc: SourceDocument | None, diags: Sequence[Diagnostic]) -> bool:
    """A duplicate key does not stop a file (the later value wins, as in every YAML reader): its other
    problems are worth reporting in the same run. Any other reading problem does."""
    return doc is not None and all(d.code == "yaml_duplicate_key" for d in diags)


def _category_id(doc: SourceDocument) -> str | None:
    cat = doc.data.get("category") if isinstance(doc.data, dict) else None
    cid = cat.get("id") if isinstance(cat, dict) else None
    return cid if isinstance(cid, str) else None


def _unknown_format(doc: SourceDocument) -> Diagnostic:
    fmt = doc.data.get("format") if isinstance(doc.data, dict) else None
    if fmt == "greencert/application@1" or (fmt is None and isinstance(doc.data, dict)
                                            and {"product", "evidence"} <= doc.data.keys()):
        return doc.diagnostic("unknown_format", "this is an application, not a catalogue entry or rule set",
                              ("format",) if fmt else (), hint=f"evaluate it with `greencert check {doc.file}`")
    if fmt is not None:
        return doc.diagnostic("unknown_format", f"unknown format `{fmt}`", ("format",),
                              hint=did_you_mean(str(fmt), _FORMATS))
    what = "a mapping" if isinstance(doc.data, dict) else "a list" if isinstance(doc.data, list) else "a single value"
    return doc.diagnostic("unknown_format", f"cannot tell what this file is: it is {what} without a `format` field",
                          (), hint="start a rule set with `format: greencert/ruleset@1` and a catalogue entry with "
                                   "`format: greencert/catalog@1`")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _pydantic_diagnostics(doc: SourceDocument, err: ValidationError, code: str,
                          prefix: Pointer = ()) -> list[Diagnostic]:
    out = []
    for e in err.errors():
        loc = prefix + tuple(p for p in e["loc"] if not (isinstance(p, str) and p in ("function-after",)))
        out.append(doc.diagnostic(code, e["msg"][:1].lower() + e["msg"][1:], loc))
    return out


def load(paths: Sequence[Path] | None = None, *, with_default_catalog: bool = True) -> LoadResult:
    """Run every loading stage over the files under `paths` (default: the shipped catalogue and rules).

    Stages: read YAML with positions -> JSON Schema -> typed models -> semantic checks. Each stage
    collects all its diagnostics; a file that fails a stage does not enter the next one (a duplicate key
    does not stop a file). With `with_default_catalog`, the shipped catalogue entries of the categories that
    `paths` do not define are loaded too, so a rule set or a new catalogue entry can be validated on its own.
    """
    if paths is None:
        paths = [default_catalog_dir(), default_rules_dir()]
    result = LoadResult()
    docs: list[SourceDocument] = []
    for path in discover(paths):
        if not path.exists():
            result.diagnostics.append(Diagnostic("file_not_found", f"no such file or directory `{path}`", str(path)))
            continue
        doc, diags = read_document(path, _display(path))
        result.files.append(_display(path))
        result.diagnostics.extend(diags)
        if _readable(doc, diags):
            assert doc is not None
            docs.append(doc)

    catalog_docs: list[SourceDocument] = []
    rules_docs: list[SourceDocument] = []
    scheme_docs: list[SourceDocument] = []
    for doc in docs:
        fmt = doc.data.get("format") if isinstance(doc.data, dict) else None
        if _is_scheme(doc):
            scheme_docs.append(doc)
        elif fmt == "greencert/catalog@1" or (isinstance(doc.data, dict) and "category" in doc.data
                                             and isinstance(doc.data["category"], dict)):
            catalog_docs.append(doc)
        elif fmt == "greencert/ruleset@1" or (isinstance(doc.data, dict) and "criteria" in doc.data):
            rules_docs.append(doc)
        else:
            result.diagnostics.append(_unknown_format(doc))

    if with_default_catalog and default_catalog_dir().is_dir():
        # the shipped catalogue fills in every category the given files do not define themselves, so a new
        # catalogue entry can be validated together with rule sets of the shipped categories
        given = {_category_id(doc) for doc in catalog_docs}
        read = {Path(f).resolve() for f in result.files}
        for path in discover([default_catalog_dir()]):
            if path.resolve() in read:
                continue
            doc, diags = read_document(path, _display(path))
            if doc is not None and _is_scheme(doc):
                if not scheme_docs:  # the shipped scheme, unless the given files bring their own
                    result.diagnostics.extend(diags)
                    if _readable(doc, diags):
                        scheme_docs.append(doc)
                continue
            if doc is not None and _category_id(doc) in given:
                continue
            result.diagnostics.extend(diags)
            if _readable(doc, diags):
                assert doc is not None
                catalog_docs.append(doc)

    for i, doc in enumerate(scheme_docs):
        if i > 0:
            result.diagnostics.append(doc.diagnostic(
                "scheme_duplicate", f"a second scheme file: `{scheme_docs[0].file}` is the scheme", ("format",),
                hint="keep one `greencert/scheme@1` file"))
            continue
        result.scheme = _load_scheme(doc, result.diagnostics)

    broken: dict[str, str] = {}
    for doc in catalog_docs:
        loaded = _load_catalog(doc, result.diagnostics)
        if loaded is None:
            cat = doc.data.get("category") if isinstance(doc.data, dict) else None
            if isinstance(cat, dict) and isinstance(cat.get("id"), str):
                broken[cat["id"]] = doc.file
            continue
        cid = loaded.category.id
        if cid in result.categories:
            result.diagnostics.append(doc.diagnostic(
                "catalog_duplicate_id", f"category `{cid}` is also defined in `{result.categories[cid].file}`",
                ("category", "id")))
            continue
        result.categories[cid] = loaded

    for doc in rules_docs:
        category = doc.data.get("category") if isinstance(doc.data, dict) else None
        if isinstance(category, str) and category in broken:
            result.diagnostics.append(doc.diagnostic(
                "rules_reference_error", f"category `{category}` could not be loaded", ("category",),
                hint=f"fix the errors reported for `{broken[category]}` first"))
            continue
        rs = _load_ruleset(doc, result.categories, result.diagnostics)
        if rs is None:
            continue
        if rs.id in result.rulesets:
            result.diagnostics.append(doc.diagnostic(
                "rules_duplicate_id", f"rule set `{rs.id}` is also defined in `{result.rulesets[rs.id].file}`",
                ("id",)))
            continue
        result.rulesets[rs.id] = LoadedRuleSet(rs, doc.file, doc)

    result.diagnostics.extend(_edition_overlaps(result.rulesets.values()))
    result.diagnostics = sort_diagnostics(result.diagnostics)
    return result


# ---------------------------------------------------------------------------------------------- operators

_NOT_OPERATORS = {"unit"} | (set(ops.requirement_schema()) - set(ops.REGISTRY))  # detection_limit_max


def _operator_problems(doc: SourceDocument, items: Iterable[tuple[Pointer, dict[str, Any], str]], ops: Sequence[str],
                       code: str) -> tuple[list[Diagnostic], set[tuple[str, Pointer]]]:
    """A requirement or condition holds exactly one operator. Checked before typing, so the message can name
    the operators; returns the schema errors it replaces (the schema only says "at least 1 entry")."""
    out: list[Diagnostic] = []
    replaced: set[tuple[str, Pointer]] = set()
    for path, item, what in items:
        found = [k for k in item if k in ops]  # in the order written, to point at the second one
        if any(k not in ops and k not in _NOT_OPERATORS for k in item):
            continue  # an unknown key, reported by the schema with a did-you-mean, is the likelier cause
        if not found:
            out.append(doc.diagnostic(code, f"{what} has no operator", path,
                                      hint="use exactly one of " + ", ".join(f"`{o}`" for o in ops)))
            replaced.add(("minProperties", path))
        elif len(found) > 1 and not (ops is CONDITION_OPS and _is_half_open_range(found)):
            out.append(doc.diagnostic(code, f"{what} has several operators: " + ", ".join(f"`{o}`" for o in found),
                                      path + (found[1],), key=True,
                                      hint="use one operator, `between: [low, high]`, or one lower and one upper bound "
                                           "such as `{gt: 5, lte: 10}`"))
        if "detection_limit_max" in item and "not_detected" not in item:
            out.append(doc.diagnostic(code, "`detection_limit_max` only goes with `not_detected`",
                                      path + ("detection_limit_max",), key=True))
    return out, replaced


def _is_half_open_range(found: Sequence[str]) -> bool:
    """A condition may be one lower and one upper bound, `{gt: 5, lte: 10}`: a range `between` cannot write."""
    return len(found) == 2 and len({"gt", "gte"} & set(found)) == 1 and len({"lt", "lte"} & set(found)) == 1


def _conditions(base: Pointer, mapping: Any, owner: str) -> Iterable[tuple[Pointer, dict[str, Any], str]]:
    if isinstance(mapping, dict):
        for pid, cond in mapping.items():
            if isinstance(cond, dict):
                yield base + (pid,), cond, f"{owner} condition on `{pid}`"


# ---------------------------------------------------------------------------------------------- catalogue

def _load_catalog(doc: SourceDocument, sink: list[Diagnostic]) -> LoadedCategory | None:
    model = _run_stages(doc, _CATALOG, sink, lambda m: [*_check_catalog(doc, m.category),
                                                         *_check_catalog_sources(doc, m.category)])
    return None if model is None else LoadedCategory(model.category, doc.file)


def _catalog_conditions(data: Any) -> Iterable[tuple[Pointer, dict[str, Any], str]]:
    cat = data.get("category") if isinstance(data, dict) else None
    if isinstance(cat, dict) and isinstance(cat.get("certification_units"), list):
        for i, u in enumerate(cat["certification_units"]):
            if isinstance(u, dict):
                yield from _conditions(("category", "certification_units", i, "defined_by"), u.get("defined_by"), "the")


# ---------------------------------------------------------------------------------------------- the stages

@dataclass(frozen=True)
class _Kind:
    """How one kind of document is loaded: its JSON schema and the code of its shape errors, the operator
    counts checked before the schema (items, operators allowed, code), and its typed model."""

    schema: str
    code: str
    model: Any
    operators: tuple[tuple[Callable[[Any], Iterable[tuple[Pointer, dict[str, Any], str]]], Sequence[str], str], ...]


_CATALOG = _Kind("catalog", "catalog_schema_error", CatalogFile,
                 ((_catalog_conditions, CONDITION_OPS, "catalog_schema_error"),))


def _run_stages(doc: SourceDocument, kind: _Kind, sink: list[Diagnostic],
                checks: Callable[[Any], Iterable[Diagnostic]]) -> Any | None:
    """The one stage list of every document (catalogue, rule set, and the rule set an overlay makes), each stage
    reporting all its problems and an error stopping the stages after it:
    1. operator counts, before the schema (so a message can name the operators; they replace the schema's
       "expected at least 1 entry");
    2. the JSON schema;
    3. the typed model (pydantic);
    4. the semantic checks (`checks`, on the model).
    Returns the model, or None when a stage found an error (warnings do not stop it)."""
    op_diags: list[Diagnostic] = []
    replaced: set[tuple[str, Pointer]] = set()
    for items, ops_allowed, code in kind.operators:
        found, skip = _operator_problems(doc, items(doc.data), ops_allowed, code)
        op_diags += found
        replaced |= skip
    diags = schema_diagnostics(doc, kind.schema, kind.code, ignore=replaced) + op_diags
    if diags:
        sink.extend(diags)
        return None
    try:
        model = kind.model.model_validate(doc.data)
    except ValidationError as e:
        sink.extend(_pydantic_diagnostics(doc, e, kind.code))
        return None
    problems = list(checks(model))
    sink.extend(problems)
    return None if any(d.severity == "error" for d in problems) else model


def _duplicates(doc: SourceDocument, items: Sequence[Any], base: Pointer, code: str, what: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.id in seen:
            line, _ = doc.locate(base + (seen[item.id], "id"))
            where = f"line {line}" if line is not None else f"item {seen[item.id] + 1}"
            out.append(doc.diagnostic(code, f"duplicate {what} id `{item.id}`", base + (i, "id"),
                                      hint=f"`{item.id}` is already used on {where}; ids must be unique"))
        else:
            seen[item.id] = i
    return out


def _check_unit(doc: SourceDocument, unit: str | None, path: Pointer, code: str) -> list[Diagnostic]:
    if unit is None:
        return []
    try:
        check_unit(unit)
    except UnitError:
        return [doc.diagnostic(code, f"unknown unit `{unit}`", path,
                               hint="write units as pint understands them, e.g. `mg/kg`, `mg/m^3`, `%`, `kgce/m^2`")]
    return []


def _check_condition(doc: SourceDocument, cond: Condition, param: Parameter, path: Pointer,
                     code: str) -> list[Diagnostic]:
    """A condition must fit the parameter's type, and name only its choices."""
    op = cond.op
    operator = ops.REGISTRY[op]
    if operator.numeric:
        if param.type != "number":
            return [doc.diagnostic(code, f"`{op}` compares numbers but `{param.id}` is a {param.type} parameter",
                                   path + (op,), key=True, hint=_condition_hint(param))]
        problem = operator.bound_problem(getattr(cond, op))
        return [doc.diagnostic(code, problem, path + (op,))] if problem else []
    out = []
    for sub, v in operator.condition_values(getattr(cond, op)):
        vpath = path + sub
        if param.type == "number" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            out.append(doc.diagnostic(code, f"`{param.id}` is a number parameter, found `{_fmt(v)}`", vpath))
        elif param.type == "boolean" and not isinstance(v, bool):
            out.append(doc.diagnostic(code, f"`{param.id}` is a boolean parameter, found `{_fmt(v)}`", vpath,
                                      hint=_condition_hint(param)))
        elif param.type in ("text", "choice") and not isinstance(v, str):
            out.append(doc.diagnostic(code, f"`{param.id}` is a {param.type} parameter, found `{_fmt(v)}`", vpath,
                                      hint="quote the value" if param.type == "text" else _condition_hint(param)))
        elif param.type == "choice" and param.choices and v not in param.choices:
            out.append(doc.diagnostic(code, f"`{v}` is not a choice of parameter `{param.id}`", vpath,
                                      hint=did_you_mean(str(v), param.choices)))
    return out


def _condition_hint(param: Parameter) -> str | None:
    if param.type == "choice" and param.choices:
        return "use `eq` or `one_of` with " + ", ".join(f"`{c}`" for c in param.choices)
    if param.type == "boolean":
        return "use `eq: true` or `eq: false`"
    return None


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _check_catalog(doc: SourceDocument, cat: Category) -> Iterable[Diagnostic]:
    base: Pointer = ("category",)
    yield from _duplicates(doc, cat.attributes, base + ("attributes",), "catalog_duplicate_id", "attribute")
    yield from _duplicates(doc, cat.parameters, base + ("parameters",), "catalog_duplicate_id", "parameter")
    yield from _duplicates(doc, cat.certification_units, base + ("certification_units",), "catalog_duplicate_id",
                           "certification unit")
    yield from _duplicates(doc, cat.indicators, base + ("indicators",), "catalog_duplicate_id", "indicator")
    attributes = {a.id for a in cat.attributes}
    params = {p.id: p for p in cat.parameters}
    for i, p in enumerate(cat.parameters):
        yield from _check_unit(doc, p.unit, base + ("parameters", i, "unit"), "catalog_unit_error")
        if p.type == "choice" and not p.choices:
            yield doc.diagnostic("catalog_schema_error", f"choice parameter `{p.id}` lists no `choices`",
                                 base + ("parameters", i, "type"), hint="add `choices: [a, b]`")
    for i, u in enumerate(cat.certification_units):
        for pid, cond in u.defined_by.items():
            path = base + ("certification_units", i, "defined_by", pid)
            if pid not in params:
                yield doc.diagnostic("catalog_reference_error", f"unknown parameter `{pid}`", path, key=True,
                                     hint=did_you_mean(pid, params))
            else:
                yield from _check_condition(doc, cond, params[pid], path, "catalog_reference_error")
    names: dict[str, str] = {}  # every name an application may use for an indicator -> the indicator's id
    for ind in cat.indicators:
        names.setdefault(ind.id.lower(), ind.id)
    for i, ind in enumerate(cat.indicators):
        path = base + ("indicators", i)
        if ind.attribute not in attributes:
            yield doc.diagnostic("catalog_reference_error", f"unknown attribute `{ind.attribute}`",
                                 path + ("attribute",), hint=did_you_mean(ind.attribute, attributes))
        if ind.kind == "quantity" and not ind.unit:
            yield doc.diagnostic("catalog_unit_error", f"quantity indicator `{ind.id}` has no `unit`", path + ("id",),
                                 hint="add `unit:`; use `1` for a dimensionless ratio or `%`")
        yield from _check_unit(doc, ind.unit, path + ("unit",), "catalog_unit_error")
        if ind.kind == "choice" and not ind.choices:
            yield doc.diagnostic("catalog_schema_error", f"choice indicator `{ind.id}` lists no `choices`",
                                 path + ("kind",), hint="add `choices: [a, b]`")
        for j, alias in enumerate(ind.aliases):
            owner = names.setdefault(alias.lower(), ind.id)
            if owner != ind.id:
                yield doc.diagnostic("catalog_duplicate_id", f"alias `{alias}` of `{ind.id}` is already a name of "
                                     f"indicator `{owner}`", path + ("aliases", j),
                                     hint="an application names indicators by id or alias: each name must be unique")


def _deprecated_status(doc: SourceDocument, status: str | None, path: Pointer, code: str) -> Iterable[Diagnostic]:
    """`confirmed` was written before strengths were stated: still read (as sourced, strength not stated), but the
    author is asked to say which."""
    if status == "confirmed":
        yield _warning(doc.diagnostic(code, "`confirmed` does not say how strong the source is", path,
                                      hint="write `primary` (the standard's or rule's own text) or `secondary` "
                                           "(a summary of it); `confirmed` is read as sourced, strength not stated"))


def _check_catalog_sources(doc: SourceDocument, cat: Category) -> Iterable[Diagnostic]:
    base: Pointer = ("category",)
    codes = [s.code for s in cat.standards]
    for i, st in enumerate(cat.standards):
        yield from _deprecated_status(doc, st.status, base + ("standards", i, "status"), "catalog_provenance_deprecated")
        if st.superseded_by and st.superseded_by not in codes:
            yield doc.diagnostic("catalog_reference_error", f"`superseded_by` names `{st.superseded_by}`, which is not "
                                 "a listed standard", base + ("standards", i, "superseded_by"),
                                 hint=did_you_mean(st.superseded_by, codes))
        if st.issued and st.effective and st.effective < st.issued:
            yield doc.diagnostic("catalog_schema_error", f"`effective` ({st.effective.isoformat()}) comes before "
                                 f"`issued` ({st.issued.isoformat()})", base + ("standards", i, "effective"))
    seen: dict[str, int] = {}
    for i, r in enumerate(cat.implementation_rules):
        yield from _deprecated_status(doc, r.status, base + ("implementation_rules", i, "status"),
                                      "catalog_provenance_deprecated")
        if r.code in seen:
            yield doc.diagnostic("catalog_duplicate_id", f"duplicate implementation rule `{r.code}`",
                                 base + ("implementation_rules", i, "code"))
        seen.setdefault(r.code, i)


def _load_scheme(doc: SourceDocument, sink: list[Diagnostic]) -> Scheme | None:
    diags = schema_diagnostics(doc, "scheme", "scheme_schema_error")
    if diags:
        sink.extend(diags)
        return None
    try:
        scheme = SchemeFile.model_validate(doc.data).scheme
    except ValidationError as e:
        sink.extend(_pydantic_diagnostics(doc, e, "scheme_schema_error"))
        return None
    problems: list[Diagnostic] = []
    base: Pointer = ("scheme",)
    problems.extend(_duplicates(doc, scheme.measures, base + ("measures",), "scheme_duplicate", "measure"))
    for i, m in enumerate(scheme.measures):
        path = base + ("measures", i)
        problems.extend(_deprecated_status(doc, m.status, path + ("status",), "scheme_provenance_deprecated"))
        if m.in_force.until and m.in_force.until <= m.in_force.from_:
            problems.append(doc.diagnostic("scheme_schema_error", f"`until` ({m.in_force.until.isoformat()}) must come "
                                           f"after `from` ({m.in_force.from_.isoformat()})", path + ("in_force", "until")))
    for name in type(scheme.certificate).model_fields:
        setting = getattr(scheme.certificate, name)
        if setting is None:
            continue
        path = base + ("certificate", name, "provenance")
        problems.extend(_deprecated_status(doc, setting.provenance.status, path + ("status",),
                                           "scheme_provenance_deprecated"))
        if setting.provenance.status == "unconfirmed" or not setting.provenance.source:
            problems.append(doc.diagnostic("scheme_provenance_error", f"certificate setting `{name}` needs a source",
                                           path, key=True, hint="ship a number only with `status: primary`, "
                                           "`secondary` or `default` and its `source`; leave an unknown setting out"))
    sink.extend(problems)
    return None if any(d.severity == "error" for d in problems) else scheme


# ---------------------------------------------------------------------------------------------- rule sets

def _load_ruleset(doc: SourceDocument, categories: dict[str, LoadedCategory],
                  sink: list[Diagnostic]) -> RuleSet | None:
    """A rule set through the stages (`_run_stages`); also the rule set an overlay makes (engine/overlays.py)."""
    return _run_stages(doc, _RULESET, sink, lambda rs: _check_ruleset(doc, rs, categories))


def _requirements(data: Any) -> Iterable[tuple[Pointer, dict[str, Any], str]]:
    if not isinstance(data, dict):
        return
    for i, c in enumerate(data.get("criteria") or []):
        if isinstance(c, dict) and isinstance(c.get("requirement"), dict):
            yield ("criteria", i, "requirement"), c["requirement"], "requirement"
    for i, lab in enumerate(data.get("labels") or []):
        if isinstance(lab, dict):
            for j, g in enumerate(lab.get("grades") or []):
                if isinstance(g, dict) and isinstance(g.get("requirement"), dict):
                    yield ("labels", i, "grades", j, "requirement"), g["requirement"], "requirement"


def _rule_conditions(data: Any) -> Iterable[tuple[Pointer, dict[str, Any], str]]:
    if not isinstance(data, dict):
        return
    for i, c in enumerate(data.get("criteria") or []):
        if isinstance(c, dict) and isinstance(c.get("applies_when"), dict):
            yield from _conditions(("criteria", i, "applies_when", "parameters"), c["applies_when"].get("parameters"),
                                   "the")


_RULESET = _Kind("ruleset", "rules_schema_error", RuleSet,
                 ((_requirements, COMPARISON_OPS, "rules_requirement_error"),
                  (_rule_conditions, CONDITION_OPS, "rules_schema_error")))


def _check_requirement(doc: SourceDocument, req: Any, indicator: Any, path: Pointer,
                       indicators: dict[str, Any]) -> Iterable[Diagnostic]:
    allowed = ops.ops_for_kind(indicator.kind)
    if req.op not in allowed:
        yield doc.diagnostic("rules_requirement_error",
                             f"`{req.op}` does not apply to {indicator.kind} indicator `{indicator.id}`",
                             path + (req.op,), key=True,
                             hint="use one of " + ", ".join(f"`{o}`" for o in sorted(allowed)))
        return
    for p in req.operator.problems(req, indicator, indicators):  # the operator's load-time checks (engine/ops)
        yield doc.diagnostic(p.code, p.message, path + p.path, key=p.key, hint=p.hint)
    measured = req.operator.measured_unit(req, indicator, indicators)  # the compared value's own unit
    if indicator.kind == "quantity" and req.unit is not None and measured is not None:
        try:
            check_unit(req.unit)
        except UnitError:
            yield doc.diagnostic("rules_unit_error", f"unknown unit `{req.unit}`", path + ("unit",),
                                 hint=f"the indicator is measured in `{measured}`")
            return
        try:
            conversion(req.unit, measured)
        except IncompatibleUnits:
            yield doc.diagnostic("rules_unit_error",
                                 f"unit `{req.unit}` cannot convert to `{measured}`, the unit of "
                                 f"{req.operator.measured_what(req, indicator)}",
                                 path + ("unit",), hint=f"write the limit in `{measured}` or a unit of the same kind")


def _unknown_indicator(doc: SourceDocument, name: str, indicators: dict[str, Any], aliases: dict[str, str],
                       path: Pointer) -> Diagnostic:
    folded = {a.lower(): i for a, i in aliases.items()}
    target = aliases.get(name) or folded.get(name.lower())
    hint = f"`{name}` is an alias: use the id `{target}`" if target else did_you_mean(name, indicators)
    return doc.diagnostic("rules_reference_error", f"unknown indicator `{name}`", path, hint=hint)


_LABEL_FIELDS = {"attribute": "partial", "optional_share": "tier", "indicator": "grade", "grades": "grade"}


def _check_certificate_settings(doc: SourceDocument, rs: RuleSet) -> Iterable[Diagnostic]:
    """A rule set's certificate settings, as the scheme's: a number only with its source (or as a labelled
    default); `overlay` is written by the merge of an overlay (engine/overlays.py), never by a rule set file."""
    if rs.certificate is None:
        return
    merged = getattr(doc, "origin", None) is not None
    for name in type(rs.certificate).model_fields:
        setting = getattr(rs.certificate, name)
        if setting is None:
            continue
        path: Pointer = ("certificate", name)
        yield from _deprecated_status(doc, setting.provenance.status, path + ("provenance", "status"),
                                      "rules_provenance_deprecated")
        if setting.provenance.status == "unconfirmed" or not setting.provenance.source:
            yield doc.diagnostic("rules_provenance_error", f"certificate setting `{name}` needs a source",
                                 path + ("provenance",), key=True, hint="set a number only with `status: primary`, "
                                 "`secondary` or `default` and its `source`; leave an unknown setting out")
        if setting.overlay is not None and not merged:
            yield doc.diagnostic("rules_schema_error", f"`overlay` is written when an overlay sets `{name}`, not by a "
                                 "rule set file", path + ("overlay",), key=True, hint="remove it")


def _check_ruleset(doc: SourceDocument, rs: RuleSet, categories: dict[str, LoadedCategory]) -> Iterable[Diagnostic]:
    yield from _duplicates(doc, rs.criteria, ("criteria",), "rules_duplicate_id", "criterion")
    yield from _duplicates(doc, rs.basic_requirements, ("basic_requirements",), "rules_duplicate_id",
                           "basic requirement")
    yield from _duplicates(doc, rs.labels, ("labels",), "rules_duplicate_id", "label")
    yield from _check_in_force(doc, rs)
    loaded = categories.get(rs.category)
    if loaded is None:
        yield doc.diagnostic("rules_reference_error", f"unknown category `{rs.category}`", ("category",),
                             hint=did_you_mean(rs.category, categories) if categories
                             else "no catalogue entry was loaded: validate the catalogue file together with the rule set")
        return
    cat = loaded.category
    if not rs.id.startswith(rs.category + "/"):
        yield doc.diagnostic("rules_reference_error", f"rule set id `{rs.id}` must start with `{rs.category}/`",
                             ("id",), hint=f"the rule set is for category `{rs.category}`")
    standards = [s.code for s in cat.standards]
    if rs.standard not in standards:
        yield doc.diagnostic("rules_reference_error", f"standard `{rs.standard}` is not listed for `{cat.id}`",
                             ("standard",), hint=did_you_mean(rs.standard, standards))
    rules = [r.code for r in cat.implementation_rules]
    if rs.implementation_rule and rules and rs.implementation_rule not in rules:
        yield doc.diagnostic("rules_reference_error", f"implementation rule `{rs.implementation_rule}` is not listed "
                             f"for `{cat.id}`", ("implementation_rule",), hint=did_you_mean(rs.implementation_rule, rules))
    yield from _check_rule_cited(doc, rs, cat)
    yield from _check_other_provenance(doc, rs)
    yield from _check_certificate_settings(doc, rs)
    indicators = {i.id: i for i in cat.indicators}
    aliases = {a: i.id for i in cat.indicators for a in i.aliases}
    attributes = {a.id for a in cat.attributes}
    params = {p.id: p for p in cat.parameters}
    units = {u.id: u for u in cat.certification_units}
    attrs_used: set[str] = set()
    attrs_complete = True  # false when a criterion's attribute is unknown because its indicator is
    for i, c in enumerate(rs.criteria):
        path: Pointer = ("criteria", i)
        ind = indicators.get(c.indicator)
        if ind is None:
            yield _unknown_indicator(doc, c.indicator, indicators, aliases, path + ("indicator",))
        else:
            yield from _check_requirement(doc, c.requirement, ind, path + ("requirement",), indicators)
        attribute = c.attribute or (ind.attribute if ind else None)
        if c.attribute is not None and c.attribute not in attributes:
            yield doc.diagnostic("rules_reference_error", f"unknown attribute `{c.attribute}`", path + ("attribute",),
                                 hint=did_you_mean(c.attribute, attributes))
        if attribute:
            attrs_used.add(attribute)
        else:
            attrs_complete = False
        yield from _check_provenance(doc, c, path, rs.evidence_defaults.max_age_days)
        if c.applies_when:
            yield from _check_applies_when(doc, c.applies_when, path + ("applies_when",), params, units)
    for i, lab in enumerate(rs.labels):
        yield from _check_label(doc, rs, lab, ("labels", i), indicators, aliases, attributes,
                                attrs_used if attrs_complete else None)
    label_ids = {lab.id for lab in rs.labels}
    for i, sid in enumerate(rs.default_scope or ()):
        if sid not in label_ids:
            yield doc.diagnostic("rules_reference_error", f"unknown label `{sid}` in `default_scope`",
                                 ("default_scope", i), hint=did_you_mean(sid, label_ids))
    if not any(lab.kind == "full" for lab in rs.labels) and not rs.default_scope:
        yield doc.diagnostic("rules_label_error", "no `full` label and no `default_scope`", ("labels",),
                             hint="add a label of kind `full` (全项) or name the default scope")


def _check_in_force(doc: SourceDocument, rs: RuleSet) -> Iterable[Diagnostic]:
    f = rs.in_force
    if f.until and f.until <= f.from_:
        yield doc.diagnostic("rules_edition_error", f"`until` ({f.until.isoformat()}) must come after `from` "
                             f"({f.from_.isoformat()})", ("in_force", "until"),
                             hint="`until` is the first day on which the next edition is in force")
    if f.accepted_until and f.until and f.accepted_until < f.until:
        yield doc.diagnostic("rules_edition_error", f"`accepted_until` ({f.accepted_until.isoformat()}) must not "
                             f"come before `until` ({f.until.isoformat()})", ("in_force", "accepted_until"),
                             hint="`accepted_until` extends acceptance past `until` through a transition period")
    if f.accepted_until and not f.until:
        yield doc.diagnostic("rules_edition_error", "`accepted_until` needs `until` (the end of the edition)",
                             ("in_force", "accepted_until"), key=True)


def _check_provenance(doc: SourceDocument, c: Any, path: Pointer, default_max_age: int | None) -> Iterable[Diagnostic]:
    """One diagnostic per root cause: a limit-less criterion marked as sourced is one mistake, not three."""
    prov = c.provenance
    yield from _deprecated_status(doc, prov.status, path + ("provenance", "status"), "rules_provenance_deprecated")
    if not c.requirement.has_limit:
        if prov.sourced or prov.status == "default":
            yield doc.diagnostic("rules_provenance_error", f"criterion `{c.id}` has no limit, so it cannot be "
                                 f"`{prov.status}`", path + ("provenance", "status"),
                                 hint="use `status: unconfirmed` until a source gives the number")
    elif c.requirement.op != "present" and not prov.source:
        message = (f"{prov.status} limit of `{c.id}` has no `source`" if prov.sourced
                   else f"limit of `{c.id}` has no `source`")
        yield doc.diagnostic("rules_provenance_error", message, path + ("provenance",), key=True,
                             hint="every shipped number must say where it comes from: add `source:`")
    elif prov.sourced and not prov.source:
        yield doc.diagnostic("rules_provenance_error", f"{prov.status} criterion `{c.id}` has no `source`",
                             path + ("provenance",), key=True, hint="add `source:`")
    if c.evidence and c.evidence.provenance is not None:
        yield from _deprecated_status(doc, c.evidence.provenance.status, path + ("evidence", "provenance", "status"),
                                      "rules_provenance_deprecated")
    if c.evidence and c.evidence.max_age_days and c.evidence.provenance is None \
            and c.evidence.max_age_days != default_max_age:
        yield doc.diagnostic("rules_provenance_error", "a criterion's own `max_age_days` needs a `provenance`",
                             path + ("evidence", "max_age_days"), key=True,
                             hint="say where the age limit comes from, or drop it to use `evidence_defaults`")


def _check_other_provenance(doc: SourceDocument, rs: RuleSet) -> Iterable[Diagnostic]:
    """`confirmed` where it is written outside criteria: evidence defaults, basic requirements."""
    items: list[tuple[Provenance | None, Pointer]] = [
        (rs.evidence_defaults.provenance, ("evidence_defaults", "provenance", "status"))]
    items += [(b.provenance, ("basic_requirements", i, "provenance", "status"))
              for i, b in enumerate(rs.basic_requirements)]
    for prov, path in items:
        if prov is not None:
            yield from _deprecated_status(doc, prov.status, path, "rules_provenance_deprecated")


def _check_dated_clause(doc: SourceDocument, lab: Any, path: Pointer) -> Iterable[Diagnostic]:
    """A label's clause by date: each period well formed, in order, none overlapping the next."""
    if lab.clause is None or isinstance(lab.clause, str):
        return
    previous: dt.date | None = None
    for j, c in enumerate(lab.clause):
        if c.from_ and c.until and c.until <= c.from_:
            yield doc.diagnostic("rules_label_error", f"`until` ({c.until.isoformat()}) must come after `from` "
                                 f"({c.from_.isoformat()})", path + ("clause", j, "until"))
        if j > 0 and (c.from_ is None or previous is None or c.from_ < previous):
            yield doc.diagnostic("rules_label_error", "the clauses of a label must follow one another in time",
                                 path + ("clause", j), key=False,
                                 hint="give every clause but the first a `from` on or after the `until` of the one before")
        previous = c.until


def _check_rule_cited(doc: SourceDocument, rs: RuleSet, cat: Category) -> Iterable[Diagnostic]:
    rule = next((r for r in cat.implementation_rules if r.code == rs.implementation_rule), None)
    if rule is not None and rule.repealed_by:
        in_force = [r.code for r in cat.implementation_rules if not r.repealed_by]
        yield doc.diagnostic("rules_reference_error", f"implementation rule `{rule.code}` was repealed by "
                             f"{rule.repealed_by}", ("implementation_rule",),
                             hint=("cite the rule in force: " + ", ".join(f"`{c}`" for c in in_force)) if in_force
                             else "list the rule that replaced it in the catalogue and cite it")


def _check_applies_when(doc: SourceDocument, aw: Any, path: Pointer, params: dict[str, Parameter],
                        units: dict[str, Any]) -> Iterable[Diagnostic]:
    listed = []
    for j, u in enumerate(aw.certification_units or ()):
        if u not in units:
            yield doc.diagnostic("rules_reference_error", f"unknown certification unit `{u}`",
                                 path + ("certification_units", j), hint=did_you_mean(u, units))
        else:
            listed.append(units[u])
    for pid, cond in aw.parameters.items():
        ppath = path + ("parameters", pid)
        if pid not in params:
            yield doc.diagnostic("rules_reference_error", f"unknown parameter `{pid}`", ppath, key=True,
                                 hint=did_you_mean(pid, params))
        else:
            yield from _check_condition(doc, cond, params[pid], ppath, "rules_reference_error")
    if listed and len(listed) == len(aw.certification_units or ()) and aw.parameters:
        clashes = [_clash(u, aw.parameters) for u in listed]
        if all(clashes):
            pid = next(c for c in clashes if c)
            yield doc.diagnostic("rules_unreachable", "the criterion can never apply: its condition on "
                                 f"`{pid}` contradicts the definition of every certification unit it lists",
                                 path + ("parameters", pid), key=True,
                                 hint=f"see `defined_by` of {', '.join(f'`{u.id}`' for u in listed)} in the catalogue")


def _clash(unit: Any, conditions: dict[str, Condition]) -> str | None:
    """The first parameter on which the unit's definition and the criterion's condition cannot both hold."""
    for pid, cond in conditions.items():
        own = unit.defined_by.get(pid)
        if own is not None and _disjoint(own, cond):
            return pid
    return None


_Interval = tuple[float, bool, float, bool]  # low, low inclusive, high, high inclusive


def _as_set_or_interval(c: Condition) -> set[tuple[bool, Any]] | _Interval:
    return ops.REGISTRY[c.op].interval(getattr(c, c.op))


def _in(value: Any, iv: _Interval) -> bool:
    lo, lo_in, hi, hi_in = iv
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (lo < value or (lo_in and lo == value)) and (value < hi or (hi_in and value == hi))


def _disjoint(a: Condition, b: Condition) -> bool:
    x, y = _as_set_or_interval(a), _as_set_or_interval(b)
    if isinstance(x, set) and isinstance(y, set):
        return not (x & y)
    if isinstance(x, set) and not isinstance(y, set):
        return not any(_in(v, y) for _, v in x)
    if isinstance(y, set) and not isinstance(x, set):
        return not any(_in(v, x) for _, v in y)
    assert not isinstance(x, set) and not isinstance(y, set)
    lo, lo_in = max((x[0], x[1]), (y[0], y[1]), key=lambda t: (t[0], not t[1]))
    hi, hi_in = min((x[2], x[3]), (y[2], y[3]), key=lambda t: (t[0], t[1]))
    return lo > hi or (lo == hi and not (lo_in and hi_in))


def _check_label(doc: SourceDocument, rs: RuleSet, lab: Any, path: Pointer, indicators: dict[str, Any],
                 aliases: dict[str, str], attributes: set[str], attrs_used: set[str] | None) -> Iterable[Diagnostic]:
    for name, kind in _LABEL_FIELDS.items():
        if getattr(lab, name) is not None and lab.kind != kind:
            yield doc.diagnostic("rules_label_error", f"`{name}` belongs to `{kind}` labels, but `{lab.id}` is "
                                 f"`{lab.kind}`", path + (name,), key=True,
                                 hint=f"use `kind: {kind}` or remove `{name}`")
    if lab.kind == "partial":
        if not lab.attribute:
            yield doc.diagnostic("rules_label_error", f"partial label `{lab.id}` needs an `attribute`", path + ("kind",),
                                 hint="name the attribute the label certifies, e.g. `attribute: environment`")
        elif lab.attribute not in attributes:
            yield doc.diagnostic("rules_reference_error", f"unknown attribute `{lab.attribute}`",
                                 path + ("attribute",), hint=did_you_mean(lab.attribute, attributes))
        elif attrs_used is not None and lab.attribute not in attrs_used:
            yield doc.diagnostic("rules_unreachable", f"no criterion has attribute `{lab.attribute}`, so label "
                                 f"`{lab.id}` can never be granted", path + ("attribute",),
                                 hint="add a criterion of that attribute or remove the label")
    if lab.kind == "tier":
        if lab.optional_share is None:
            yield doc.diagnostic("rules_label_error", f"tier label `{lab.id}` needs `optional_share`", path + ("kind",),
                                 hint="the share of optional criteria that must pass, e.g. `optional_share: 0.5`")
        elif lab.optional_share > 0 and not any(c.optional for c in rs.criteria):
            yield doc.diagnostic("rules_unreachable", f"tier `{lab.id}` asks for a share of optional criteria but "
                                 "no criterion is `optional`", path + ("optional_share",),
                                 hint="mark criteria `optional: true` or set `optional_share: 0`")
    if lab.kind == "grade":
        if not lab.indicator or not lab.grades:
            yield doc.diagnostic("rules_label_error", f"grade label `{lab.id}` needs `indicator` and `grades`",
                                 path + ("kind",))
        elif lab.indicator not in indicators:
            yield _unknown_indicator(doc, lab.indicator, indicators, aliases, path + ("indicator",))
        else:
            yield from _duplicates(doc, lab.grades, path + ("grades",), "rules_duplicate_id", "grade")
            for j, g in enumerate(lab.grades):
                if not g.requirement.operator.in_grades:
                    yield doc.diagnostic("rules_label_error", f"`{g.requirement.op}` cannot band a grade label",
                                         path + ("grades", j, "requirement", g.requirement.op), key=True)
                    continue
                yield from _check_requirement(doc, g.requirement, indicators[lab.indicator],
                                              path + ("grades", j, "requirement"), indicators)
                if g.requirement.has_limit and not (g.provenance and g.provenance.source):
                    yield doc.diagnostic("rules_provenance_error", f"grade `{g.id}` has a limit but no source",
                                         path + ("grades", j, "id"),
                                         hint="add `provenance: {status: …, source: …}` to the grade")
                elif g.provenance is not None and not g.requirement.has_limit and g.provenance.sourced:
                    yield doc.diagnostic("rules_provenance_error", f"grade `{g.id}` has no limit, so it cannot be "
                                         f"`{g.provenance.status}`", path + ("grades", j, "provenance", "status"),
                                         hint="use `status: unconfirmed` until a source gives the number")
                if g.provenance is not None:
                    yield from _deprecated_status(doc, g.provenance.status, path + ("grades", j, "provenance", "status"),
                                                  "rules_provenance_deprecated")
    yield from _check_dated_clause(doc, lab, path)


def _edition_overlaps(rulesets: Iterable[LoadedRuleSet]) -> list[Diagnostic]:
    by_category: dict[str, list[LoadedRuleSet]] = {}
    for lr in rulesets:
        by_category.setdefault(lr.ruleset.category, []).append(lr)
    out = []
    for items in by_category.values():
        items.sort(key=lambda x: x.ruleset.in_force.from_)
        for a, b in zip(items, items[1:]):
            a_end = a.ruleset.in_force.until
            if a_end is None or a_end > b.ruleset.in_force.from_:
                out.append(b.doc.diagnostic(
                    "rules_edition_overlap",
                    f"editions `{a.ruleset.id}` and `{b.ruleset.id}` are both in force from "
                    f"{b.ruleset.in_force.from_.isoformat()}", ("in_force", "from"),
                    hint=f"set `until: {b.ruleset.in_force.from_.isoformat()}` in `{a.file}` and use `accepted_until` "
                         "for a transition period"))
    return out


def content_hash(category: Category, ruleset: RuleSet, overlays: Sequence[Any] = ()) -> str:
    """The rule set's version: a hash of everything that can change a decision made with it."""
    rs = ruleset.model_dump(mode="json", by_alias=True)
    if rs.get("certificate") is None:  # a rule set without certificate settings hashes as before they existed
        rs.pop("certificate", None)
    payload = {
        "greencert": 1,
        "category": category.model_dump(mode="json", by_alias=True),
        "ruleset": rs,
        "overlays": list(overlays),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


