"""The catalogue: categories, the editions accepted on a date, their criteria and labels. Each organisation
reads the rule sets it evaluates with: its own overlaid ones if it owns overlays, else the shipped ones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from engine import Category, Diagnostic, DiagnosticError, Repository, RuleSet, did_you_mean

from ..deps import AnyRole, AsOf, ServicesDep, TodayDep
from ..errors import ApiError
from ..schemas import CategoryDetail, CategoryList, EditionCriteria, EditionLabels, EditionOut
from .common import responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/categories", tags=["catalogue"])

CategoryId = Annotated[str, Path(max_length=100, description="category id, e.g. `coatings`", examples=["coatings"])]
Edition = Annotated[str | None, Query(max_length=100, description="an edition's rule-set id or standard; default: "
                                      "the one in force on `as_of`", examples=["GB/T 35602-2017"])]


def edition_view(repo: Repository, rs: RuleSet, day: dt.date) -> dict[str, Any]:
    return {"ruleset_id": rs.id, "standard": rs.standard, "implementation_rule": rs.implementation_rule,
            "title": rs.title.model_dump() if rs.title else None, "in_force_from": rs.in_force.from_,
            "until": rs.in_force.until, "accepted_until": rs.in_force.accepted_until,
            "accepted": rs.in_force.accepts(day), "current": rs.in_force.current(day), "version": repo.versions[rs.id],
            "criteria": len(rs.criteria)}


def _summary(repo: Repository, cat: Category, day: dt.date) -> dict[str, Any]:
    return {"id": cat.id, "name": cat.name.model_dump(), "batch": cat.batch, "cqc_code": cat.cqc_code,
            "standards": [s.code for s in cat.standards],
            "implementation_rules": [r.code + (" (inferred)" if r.inferred else "")
                                     + (f" (repealed by {r.repealed_by})" if r.repealed_by else "")
                                     for r in cat.implementation_rules],
            "editions": [edition_view(repo, rs, day) for rs in repo.editions(cat.id)]}


def _category(repo: Repository, category: str) -> Category:
    cat = repo.categories.get(category)
    if cat is None:
        raise ApiError.one(404, "unknown_category", f"unknown category `{category}`",
                           hint=did_you_mean(category, repo.categories), field="category")
    return cat


def _as_path(d: Diagnostic) -> Diagnostic:
    # the engine locates these in an application; here the value came from the URL
    return Diagnostic(d.code, d.message, None, None, None, d.hint, d.field, d.severity)


def _edition(repo: Repository, category: str, day: dt.date, edition: str | None) -> RuleSet:
    _category(repo, category)
    try:
        return repo.select(category, day, edition)
    except DiagnosticError as e:
        raise ApiError(404, [_as_path(d) for d in e.diagnostics]) from None


@router.get("", response_model=CategoryList, responses=responses(422),
            summary="Categories of the green product catalogue, with their editions")
def list_categories(services: ServicesDep, principal: AnyRole, today: TodayDep, as_of: AsOf = None) -> dict[str, Any]:
    day = as_of or today
    repo = services.repository_for(principal)
    return {"as_of": day, "categories": [_summary(repo, cat, day) for cat in repo.categories.values()]}


@router.get("/{category}", response_model=CategoryDetail, responses=responses(404, 422),
            summary="One category: parameters, certification units, indicators, editions")
def get_category(category: CategoryId, services: ServicesDep, principal: AnyRole, today: TodayDep,
                 as_of: AsOf = None) -> dict[str, Any]:
    repo = services.repository_for(principal)
    cat = _category(repo, category)

    def dump(items: Any) -> list[dict[str, Any]]:
        return [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in items]

    return {**_summary(repo, cat, as_of or today), "attributes": dump(cat.attributes), "parameters": dump(cat.parameters),
            "certification_units": dump(cat.certification_units), "indicators": dump(cat.indicators),
            "notes": cat.notes}


@router.get("/{category}/editions", response_model=list[EditionOut], responses=responses(404, 422),
            summary="Editions of a category accepted on `as_of` (all editions with `all=true`)")
def list_editions(category: CategoryId, services: ServicesDep, principal: AnyRole, today: TodayDep, as_of: AsOf = None,
                  all: Annotated[bool, Query(description="list every edition, not only those accepted")] = False,
                  ) -> list[dict[str, Any]]:
    repo = services.repository_for(principal)
    _category(repo, category)
    day = as_of or today
    return [edition_view(repo, rs, day) for rs in repo.editions(category) if all or rs.in_force.accepts(day)]


@router.get("/{category}/criteria", response_model=EditionCriteria, responses=responses(404, 422),
            summary="The criteria of the edition in force on `as_of` (or the one named)")
def list_criteria(category: CategoryId, services: ServicesDep, principal: AnyRole, today: TodayDep, as_of: AsOf = None,
                  edition: Edition = None) -> dict[str, Any]:
    repo = services.repository_for(principal)
    day = as_of or today
    rs = _edition(repo, category, day, edition)
    cat = repo.categories[category]
    indicators = {i.id: i for i in cat.indicators}
    criteria = []
    for c in rs.criteria:
        ind = indicators.get(c.indicator)
        req = c.requirement
        criteria.append({
            "id": c.id, "indicator": c.indicator, "attribute": c.attribute or (ind.attribute if ind else ""),
            "requirement": req.describe(), "op": req.op, "value": req.value, "low": req.low, "high": req.high,
            "values": list(req.values) if req.values is not None else None,
            "unit": req.unit or (ind.unit if ind else None), "limit_shipped": req.has_limit,
            "provenance": c.provenance.model_dump(mode="json", exclude_none=True), "clause": c.clause,
            "optional": c.optional,
            "applies_when": c.applies_when.model_dump(mode="json", exclude_none=True) if c.applies_when else None})
    return {"category": category, "ruleset_id": rs.id, "standard": rs.standard, "version": repo.versions[rs.id],
            "as_of": day, "criteria": criteria}


@router.get("/{category}/labels", response_model=EditionLabels, responses=responses(404, 422),
            summary="The labels of the edition in force on `as_of` (or the one named)")
def list_labels(category: CategoryId, services: ServicesDep, principal: AnyRole, today: TodayDep, as_of: AsOf = None,
                edition: Edition = None) -> dict[str, Any]:
    repo = services.repository_for(principal)
    day = as_of or today
    rs = _edition(repo, category, day, edition)
    scope = set(rs.default_scope or (lab.id for lab in rs.labels if lab.kind == "full"))
    labels = []
    for lab in rs.labels:
        data = lab.model_dump(mode="json", exclude_none=True)
        data["clause"] = lab.clause_on(day)  # a label's basis can change by date (the 2026 Measures)
        data["in_default_scope"] = lab.id in scope
        labels.append(data)
    return {"category": category, "ruleset_id": rs.id, "standard": rs.standard, "version": repo.versions[rs.id],
            "as_of": day, "labels": labels}
