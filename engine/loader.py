"""Load catalogue and rule-set files: parse, validate against the schema, type, check semantics."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from .models import COMPARISON_OPS, CatalogFile, Category, Condition, Parameter, RuleSet
from .schema_check import schema_diagnostics
from .units import IncompatibleUnits, UnitError, conversion, parse_unit
from .yamlsource import Pointer, SourceDocument, read_document

__all__ = [
    "PROJECT_ROOT", "default_catalog_dir", "default_rules_dir", "LoadedCategory", "LoadedRuleSet",
    "LoadResult", "discover", "load", "content_hash",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SUFFIXES = (".yaml", ".yml", ".json")


def default_catalog_dir() -> Path:
    return Path(os.environ.get("GREENCERT_CATALOG_DIR", PROJECT_ROOT / "catalogs"))


def default_rules_dir() -> Path:
    return Path(os.environ.get("GREENCERT_RULES_DIR", PROJECT_ROOT / "rules"))


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
    collects all its diagnostics; a file that fails a stage does not enter the next one.
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
        if doc is not None and not diags:
            docs.append(doc)

    catalog_docs: list[SourceDocument] = []
    rules_docs: list[SourceDocument] = []
    for doc in docs:
        fmt = doc.data.get("format") if isinstance(doc.data, dict) else None
        if fmt == "greencert/catalog@1" or (isinstance(doc.data, dict) and "category" in doc.data
                                             and isinstance(doc.data["category"], dict)):
            catalog_docs.append(doc)
        elif fmt == "greencert/ruleset@1" or (isinstance(doc.data, dict) and "criteria" in doc.data):
            rules_docs.append(doc)
        else:
            result.diagnostics.append(doc.diagnostic(
                "unknown_format", "cannot tell what this file is: `format` must be `greencert/catalog@1` or "
                "`greencert/ruleset@1`", ("format",) if isinstance(doc.data, dict) and "format" in doc.data else (),
                hint="add `format: greencert/ruleset@1` at the top of a rule set"))

    if with_default_catalog and not catalog_docs and default_catalog_dir().is_dir():
        for path in discover([default_catalog_dir()]):
            doc, diags = read_document(path, _display(path))
            result.diagnostics.extend(diags)
            if doc is not None and not diags:
                catalog_docs.append(doc)

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


# ---------------------------------------------------------------------------------------------- catalogue

def _load_catalog(doc: SourceDocument, sink: list[Diagnostic]) -> LoadedCategory | None:
    diags = schema_diagnostics(doc, "catalog", "catalog_schema_error")
    if diags:
        sink.extend(diags)
        return None
    try:
        model = CatalogFile.model_validate(doc.data)
    except ValidationError as e:
        sink.extend(_pydantic_diagnostics(doc, e, "catalog_schema_error"))
        return None
    problems = list(_check_catalog(doc, model.category))
    sink.extend(problems)
    if problems:
        return None
    return LoadedCategory(model.category, doc.file)


def _duplicates(doc: SourceDocument, items: Sequence[Any], base: Pointer, code: str, what: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.id in seen:
            out.append(doc.diagnostic(code, f"duplicate {what} id `{item.id}`", base + (i, "id"),
                                      hint=f"first defined at item {seen[item.id] + 1}"))
        else:
            seen[item.id] = i
    return out


def _check_unit(doc: SourceDocument, unit: str | None, path: Pointer, code: str) -> list[Diagnostic]:
    if unit is None:
        return []
    try:
        parse_unit(unit)
    except UnitError:
        return [doc.diagnostic(code, f"unknown unit `{unit}`", path,
                               hint="write units as pint understands them, e.g. `mg/kg`, `mg/m^3`, `%`, `kgce/m^2`")]
    return []


def _check_condition(doc: SourceDocument, cond: Condition, param: Parameter, path: Pointer,
                     code: str) -> list[Diagnostic]:
    op = cond.op
    numeric = op in ("lte", "lt", "gte", "gt", "between")
    if numeric and param.type != "number":
        return [doc.diagnostic(code, f"`{op}` compares numbers but parameter `{param.id}` is {param.type}", path)]
    if op == "one_of" and param.type == "choice" and param.choices:
        bad = [v for v in cond.one_of or () if v not in param.choices]
        if bad:
            return [doc.diagnostic(code, f"`{bad[0]}` is not a choice of parameter `{param.id}`", path,
                                   hint=did_you_mean(str(bad[0]), param.choices))]
    if op == "between" and cond.between and cond.between[0] > cond.between[1]:
        return [doc.diagnostic(code, "`between` needs [low, high] with low ≤ high", path)]
    return []


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
                                 base + ("parameters", i))
    for i, u in enumerate(cat.certification_units):
        for pid, cond in u.defined_by.items():
            path = base + ("certification_units", i, "defined_by", pid)
            if pid not in params:
                yield doc.diagnostic("catalog_reference_error", f"unknown parameter `{pid}`", path, key=True,
                                     hint=did_you_mean(pid, params))
            else:
                yield from _check_condition(doc, cond, params[pid], path, "catalog_reference_error")
    for i, ind in enumerate(cat.indicators):
        path = base + ("indicators", i)
        if ind.attribute not in attributes:
            yield doc.diagnostic("catalog_reference_error", f"unknown attribute `{ind.attribute}`",
                                 path + ("attribute",), hint=did_you_mean(ind.attribute, attributes))
        if ind.kind == "quantity" and not ind.unit:
            yield doc.diagnostic("catalog_unit_error", f"quantity indicator `{ind.id}` has no `unit`", path,
                                 hint="use `1` for a dimensionless ratio or `%`")
        yield from _check_unit(doc, ind.unit, path + ("unit",), "catalog_unit_error")
        if ind.kind == "choice" and not ind.choices:
            yield doc.diagnostic("catalog_schema_error", f"choice indicator `{ind.id}` lists no `choices`", path)


# ---------------------------------------------------------------------------------------------- rule sets

def _load_ruleset(doc: SourceDocument, categories: dict[str, LoadedCategory],
                  sink: list[Diagnostic]) -> RuleSet | None:
    diags = schema_diagnostics(doc, "ruleset", "rules_schema_error")
    # the operator count is checked here, before typing, so it can point at the requirement itself
    for path, req in _requirements(doc.data):
        ops = [k for k in COMPARISON_OPS if k in req]
        if len(ops) != 1:
            what = "no comparison operator" if not ops else "several operators: " + ", ".join(f"`{o}`" for o in ops)
            diags.append(doc.diagnostic("rules_requirement_error", f"requirement has {what}", path,
                                        hint="use exactly one of " + ", ".join(f"`{o}`" for o in COMPARISON_OPS)))
        if "detection_limit_max" in req and "not_detected" not in req:
            diags.append(doc.diagnostic("rules_requirement_error",
                                        "`detection_limit_max` only goes with `not_detected`",
                                        path + ("detection_limit_max",), key=True))
    if diags:
        sink.extend(diags)
        return None
    try:
        rs = RuleSet.model_validate(doc.data)
    except ValidationError as e:
        sink.extend(_pydantic_diagnostics(doc, e, "rules_schema_error"))
        return None
    problems = list(_check_ruleset(doc, rs, categories))
    sink.extend(problems)
    return None if problems else rs


def _requirements(data: Any) -> Iterable[tuple[Pointer, dict[str, Any]]]:
    if not isinstance(data, dict):
        return
    for i, c in enumerate(data.get("criteria") or []):
        if isinstance(c, dict) and isinstance(c.get("requirement"), dict):
            yield ("criteria", i, "requirement"), c["requirement"]
    for i, lab in enumerate(data.get("labels") or []):
        if isinstance(lab, dict):
            for j, g in enumerate(lab.get("grades") or []):
                if isinstance(g, dict) and isinstance(g.get("requirement"), dict):
                    yield ("labels", i, "grades", j, "requirement"), g["requirement"]


_OPS_BY_KIND = {
    "quantity": {"lte", "lt", "gte", "gt", "eq", "between", "not_detected"},
    "choice": {"eq", "one_of"},
    "document": {"present"},
}


def _check_requirement(doc: SourceDocument, req: Any, indicator: Any, path: Pointer) -> Iterable[Diagnostic]:
    if req.op not in _OPS_BY_KIND[indicator.kind]:
        yield doc.diagnostic("rules_requirement_error",
                             f"`{req.op}` does not apply to {indicator.kind} indicator `{indicator.id}`", path,
                             hint="use " + " or ".join(f"`{o}`" for o in sorted(_OPS_BY_KIND[indicator.kind])))
        return
    if req.op == "between" and req.low is not None and req.high is not None and req.low > req.high:
        yield doc.diagnostic("rules_requirement_error", "`between` needs [low, high] with low ≤ high",
                             path + ("between",))
    if req.op == "one_of" and indicator.choices:
        for j, v in enumerate(req.values or ()):
            if v not in indicator.choices:
                yield doc.diagnostic("rules_reference_error", f"`{v}` is not a choice of indicator `{indicator.id}`",
                                     path + ("one_of", j), hint=did_you_mean(str(v), indicator.choices))
    if indicator.kind == "quantity" and req.unit is not None:
        try:
            parse_unit(req.unit)
        except UnitError:
            yield doc.diagnostic("rules_unit_error", f"unknown unit `{req.unit}`", path + ("unit",),
                                 hint=f"the indicator is measured in `{indicator.unit}`")
            return
        try:
            conversion(req.unit, indicator.unit)
        except IncompatibleUnits:
            yield doc.diagnostic("rules_unit_error",
                                 f"unit `{req.unit}` cannot convert to `{indicator.unit}`, the unit of `{indicator.id}`",
                                 path + ("unit",), hint=f"write the limit in `{indicator.unit}` or a unit of the same kind")


def _check_ruleset(doc: SourceDocument, rs: RuleSet, categories: dict[str, LoadedCategory]) -> Iterable[Diagnostic]:
    yield from _duplicates(doc, rs.criteria, ("criteria",), "rules_duplicate_id", "criterion")
    yield from _duplicates(doc, rs.basic_requirements, ("basic_requirements",), "rules_duplicate_id",
                           "basic requirement")
    yield from _duplicates(doc, rs.labels, ("labels",), "rules_duplicate_id", "label")
    if rs.in_force.until and rs.in_force.until <= rs.in_force.from_:
        yield doc.diagnostic("rules_edition_error", "`until` must come after `from`", ("in_force", "until"))
    if rs.in_force.accepted_until and rs.in_force.until and rs.in_force.accepted_until < rs.in_force.until:
        yield doc.diagnostic("rules_edition_error", "`accepted_until` must not come before `until`",
                             ("in_force", "accepted_until"))
    if rs.in_force.accepted_until and not rs.in_force.until:
        yield doc.diagnostic("rules_edition_error", "`accepted_until` needs `until` (the end of the edition)",
                             ("in_force", "accepted_until"))
    loaded = categories.get(rs.category)
    if loaded is None:
        yield doc.diagnostic("rules_reference_error", f"unknown category `{rs.category}`", ("category",),
                             hint=did_you_mean(rs.category, categories))
        return
    cat = loaded.category
    if not rs.id.startswith(rs.category + "/"):
        yield doc.diagnostic("rules_reference_error", f"rule set id `{rs.id}` must start with `{rs.category}/`",
                             ("id",))
    standards = [s.code for s in cat.standards]
    if rs.standard not in standards:
        yield doc.diagnostic("rules_reference_error", f"standard `{rs.standard}` is not listed for `{cat.id}`",
                             ("standard",), hint=did_you_mean(rs.standard, standards))
    indicators = {i.id: i for i in cat.indicators}
    aliases = {a: i.id for i in cat.indicators for a in i.aliases}
    attributes = {a.id for a in cat.attributes}
    params = {p.id: p for p in cat.parameters}
    units = {u.id for u in cat.certification_units}
    attrs_used: set[str] = set()
    for i, c in enumerate(rs.criteria):
        path: Pointer = ("criteria", i)
        ind = indicators.get(c.indicator)
        if ind is None:
            hint = (f"`{c.indicator}` is an alias: use the id `{aliases[c.indicator]}`" if c.indicator in aliases
                    else did_you_mean(c.indicator, indicators))
            yield doc.diagnostic("rules_reference_error", f"unknown indicator `{c.indicator}`", path + ("indicator",),
                                 hint=hint)
        else:
            yield from _check_requirement(doc, c.requirement, ind, path + ("requirement",))
        attribute = c.attribute or (ind.attribute if ind else None)
        if c.attribute is not None and c.attribute not in attributes:
            yield doc.diagnostic("rules_reference_error", f"unknown attribute `{c.attribute}`", path + ("attribute",),
                                 hint=did_you_mean(c.attribute, attributes))
        if attribute:
            attrs_used.add(attribute)
        if c.provenance.status == "confirmed" and not c.provenance.source:
            yield doc.diagnostic("rules_provenance_error", "a confirmed limit needs a `source`", path + ("provenance",))
        if c.requirement.has_limit and c.requirement.op != "present" and not c.provenance.source:
            yield doc.diagnostic("rules_provenance_error", f"limit of `{c.id}` has no `source`", path + ("provenance",),
                                 hint="every shipped number must say where it comes from")
        if not c.requirement.has_limit and c.provenance.status == "confirmed":
            yield doc.diagnostic("rules_provenance_error", "a criterion without a limit cannot be `confirmed`",
                                 path + ("provenance", "status"), hint="use `unconfirmed`")
        if c.evidence and c.evidence.max_age_days and c.evidence.provenance is None and \
                rs.evidence_defaults.max_age_days != c.evidence.max_age_days:
            yield doc.diagnostic("rules_provenance_error", "a criterion's own `max_age_days` needs a `provenance`",
                                 path + ("evidence", "max_age_days"))
        if c.applies_when:
            for j, u in enumerate(c.applies_when.certification_units or ()):
                if u not in units:
                    yield doc.diagnostic("rules_reference_error", f"unknown certification unit `{u}`",
                                         path + ("applies_when", "certification_units", j), hint=did_you_mean(u, units))
            for pid, cond in c.applies_when.parameters.items():
                ppath = path + ("applies_when", "parameters", pid)
                if pid not in params:
                    yield doc.diagnostic("rules_reference_error", f"unknown parameter `{pid}`", ppath, key=True,
                                         hint=did_you_mean(pid, params))
                else:
                    yield from _check_condition(doc, cond, params[pid], ppath, "rules_reference_error")
    for i, lab in enumerate(rs.labels):
        path = ("labels", i)
        if lab.kind == "partial":
            if not lab.attribute:
                yield doc.diagnostic("rules_label_error", f"partial label `{lab.id}` needs an `attribute`", path)
            elif lab.attribute not in attributes:
                yield doc.diagnostic("rules_reference_error", f"unknown attribute `{lab.attribute}`",
                                     path + ("attribute",), hint=did_you_mean(lab.attribute, attributes))
            elif lab.attribute not in attrs_used:
                yield doc.diagnostic("rules_unreachable", f"no criterion has attribute `{lab.attribute}`, so label "
                                     f"`{lab.id}` can never be granted", path + ("attribute",))
        if lab.kind == "tier":
            if lab.optional_share is None:
                yield doc.diagnostic("rules_label_error", f"tier label `{lab.id}` needs `optional_share`", path)
            elif lab.optional_share > 0 and not any(c.optional for c in rs.criteria):
                yield doc.diagnostic("rules_unreachable", f"tier `{lab.id}` asks for a share of optional criteria but "
                                     "no criterion is `optional`", path + ("optional_share",))
        if lab.kind == "grade":
            if not lab.indicator or not lab.grades:
                yield doc.diagnostic("rules_label_error", f"grade label `{lab.id}` needs `indicator` and `grades`", path)
            elif lab.indicator not in indicators:
                yield doc.diagnostic("rules_reference_error", f"unknown indicator `{lab.indicator}`",
                                     path + ("indicator",), hint=did_you_mean(lab.indicator, indicators))
            else:
                for j, g in enumerate(lab.grades):
                    yield from _check_requirement(doc, g.requirement, indicators[lab.indicator],
                                                  path + ("grades", j, "requirement"))
                    if g.requirement.has_limit and not (g.provenance and g.provenance.source):
                        yield doc.diagnostic("rules_provenance_error", f"grade `{g.id}` has a limit but no source",
                                             path + ("grades", j))
    label_ids = {lab.id for lab in rs.labels}
    for i, sid in enumerate(rs.default_scope or ()):
        if sid not in label_ids:
            yield doc.diagnostic("rules_reference_error", f"unknown label `{sid}` in `default_scope`",
                                 ("default_scope", i), hint=did_you_mean(sid, label_ids))
    if not any(lab.kind == "full" for lab in rs.labels) and not rs.default_scope:
        yield doc.diagnostic("rules_label_error", "no `full` label and no `default_scope`", ("labels",),
                             hint="add a label of kind `full` (全项) or name the default scope")


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
    payload = {
        "greencert": 1,
        "category": category.model_dump(mode="json", by_alias=True),
        "ruleset": ruleset.model_dump(mode="json", by_alias=True),
        "overlays": list(overlays),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


