"""The registry: public procurement queries and model coverage (no key), random draws for spot checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .. import certificates as certs
from .. import registry
from ..certificate_schemas import EventRecorded
from ..deps import CertificationBody, ServicesDep, TodayDep
from ..registry_schemas import Coverage, DrawOut, DrawReproduction, RegistryPage
from ..schemas import IsoDate
from .common import BODY, responses

__all__ = ["public_router", "router"]

public_router = APIRouter(prefix="/v1/public", tags=["registry"])
router = APIRouter(prefix="/v1/draws", tags=["registry"])

Day = Annotated[IsoDate | None, Query(description="the day (YYYY-MM-DD); default today", examples=["2027-03-01"])]
_NO_NUL = r"^[^\x00]*$"  # the service refuses a URL holding NUL (api/errors.py): the schema says so
Text = Annotated[str | None, Query(max_length=200, pattern=_NO_NUL)]
DrawId = Annotated[str, Path(max_length=36, description="the draw's id",
                              examples=["3c1d0e52-6b8f-4a43-9d7e-2f5b1a9c8e10"])]


def _public(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route that needs no key (no 401/403)."""
    return {code: responses(code)[code] for code in codes}


def _query(day: dt.date, category: str | None, label_kind: str | None, attribute: str | None, holder: str | None,
           region: str | None, issued_by: str | None) -> registry.RegistryQuery:
    return registry.RegistryQuery(day, category, label_kind, attribute, holder, region, issued_by)


_CSV: Any = {"text/csv": {"schema": {"type": "string", "examples": [
    "number,state,category,…\nCQC-000001,valid,coatings,…\n"]}}}


@public_router.get("/registry", response_model=RegistryPage,
                   responses={200: {"content": _CSV, "description": "a page (JSON), or the same page as CSV"},
                              **_public(422)},
                   summary="Which products were certified green on a day: the certificates valid then, filtered, "
                           "by number (no key; `format=csv` for a spreadsheet)")
async def registry_search(services: ServicesDep, today: TodayDep, as_of: Day = None, category: Text = None,
                    label_kind: Annotated[Literal["full", "partial"] | None, Query(
                        description="full (全项) or partial (分项)")] = None,
                    attribute: Annotated[str | None, Query(
                        max_length=100, pattern=_NO_NUL,
                        description="a label's attribute (resource, energy, environment, quality, …) or id")] = None,
                    holder: Annotated[str | None, Query(
                        max_length=300, pattern=_NO_NUL, description="the holder's organisation or printed name")] = None,
                    region: Text = None,
                    issued_by: Annotated[str | None, Query(
                        max_length=200, pattern=_NO_NUL, description="the certification body")] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    after: Annotated[str | None, Query(
                        max_length=60, pattern=_NO_NUL,
                        description="the page after this certificate number (`next_after` of the page before): "
                                    "a page costs the same however far it is")] = None,
                    format: Annotated[Literal["json", "csv"], Query()] = "json") -> Any:
    day = as_of or today
    q = _query(day, category, label_kind, attribute, holder, region, issued_by)
    bodies, has_more = await run_in_threadpool(registry.search_bodies, services.db, q, limit=limit, offset=offset,
                                               after=after)
    if format == "csv":
        views = [orjson.loads(b) for b in bodies]
        return Response(registry.csv_rows(views), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="registry-{day}.csv"',
                                 "X-Has-More": "true" if has_more else "false"})
    # the stored public bodies go out as they are (RegistryPage documents the shape)
    last = orjson.loads(bodies[-1])["number"] if bodies and has_more else None
    head = orjson.dumps({"as_of": day, "filters": q.filters(), "limit": limit, "offset": offset,
                         "has_more": has_more, "next_offset": offset + limit if has_more else None,
                         "next_after": last})
    return Response(head[:-1] + b',"items":[' + b",".join(bodies) + b"]}", media_type="application/json")


@public_router.get("/coverage", response_model=Coverage, responses=_public(422),
                   summary="Is this model covered by a valid certificate on a day? (no key)")
async def model_coverage(services: ServicesDep, today: TodayDep,
                         model: Annotated[str, Query(min_length=1, max_length=200, pattern=_NO_NUL,
                                                     description="the product model")],
                         as_of: Day = None) -> Any:
    day = as_of or today
    found = await run_in_threadpool(registry.coverage_bodies, services.db, model, day)
    head = orjson.dumps({"model": model, "as_of": day, "covered": bool(found)})  # Coverage documents the shape
    return Response(head[:-1] + b',"certificates":[' + b",".join(found) + b"]}", media_type="application/json")


class DrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"n": 20, "as_of": "2027-03-01", "seed": "2027-Q1 supervision", "category": "coatings"}]})

    n: int = Field(ge=1, le=registry.MAX_DRAW, description="how many certificates to draw")
    as_of: IsoDate | None = Field(default=None, description="the certificates valid on this day; default today")
    seed: str | None = Field(default=None, min_length=1, max_length=100, pattern=_NO_NUL,
                             description="the seed (recorded with the draw); default a new random one")
    category: str | None = Field(default=None, max_length=200, pattern=_NO_NUL)
    region: str | None = Field(default=None, max_length=200, pattern=_NO_NUL)
    issued_by: str | None = Field(default=None, max_length=200, pattern=_NO_NUL, description="the certification body")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"number": "CQC-000412", "evaluation_id": "0b9e6c1e-2f6d-4f0e-9d55-8a2c9f3e4b10", "on": "2027-03-20"}]})

    number: str = Field(max_length=60, pattern=_NO_NUL)
    evaluation_id: str = Field(max_length=36, pattern=_NO_NUL, description="the spot check's binding evaluation")
    on: IsoDate | None = Field(default=None, description="the day of the check; default today")


@router.post("", status_code=201, response_model=DrawOut, responses=responses(*BODY, 422),
             summary="Draw certificates for spot checks (双随机一公开); the seed is recorded with the draw")
def create_draw(payload: DrawIn, services: ServicesDep, principal: CertificationBody, today: TodayDep
                ) -> dict[str, Any]:
    q = registry.RegistryQuery(payload.as_of or today, category=payload.category, region=payload.region,
                               issued_by=payload.issued_by)
    row = registry.make_draw(services.db, principal, q, payload.n, payload.seed)
    return registry.draw_view(services.db, row)


_CHECK_409 = {"description": "not in the draw, or the log refuses the surveillance event"}


@router.post("/{draw_id}/checks", status_code=201, response_model=EventRecorded,
             responses={409: _CHECK_409, **responses(*BODY, 404, 422)},
             summary="Record a drawn certificate's spot check: a surveillance event resting on its evaluation")
def record_check(draw_id: DrawId, payload: CheckIn, services: ServicesDep, principal: CertificationBody,
                 today: TodayDep) -> dict[str, Any]:
    loaded, row, _ = registry.record_check(services, principal, draw_id, payload.number, payload.evaluation_id,
                                           payload.on, today)
    return {"event": certs.event_view(row),
            "certificate": certs.certificate_view(loaded, row.effective_on, events=False)}


@public_router.get("/draws/{draw_id}", response_model=DrawOut, responses=_public(404, 422),
                   summary="A draw's public result: seed, day, filters, the certificates drawn and their checks")
def public_draw(draw_id: DrawId, services: ServicesDep) -> dict[str, Any]:
    return registry.draw_view(services.db, registry.get_draw(services.db, draw_id))


@public_router.get("/draws/{draw_id}/reproduction", response_model=DrawReproduction, responses=_public(404, 422),
                   summary="Draw again from the recorded seed on the registry as it was: the same certificates?")
def reproduce(draw_id: DrawId, services: ServicesDep) -> dict[str, Any]:
    row = registry.get_draw(services.db, draw_id)
    again = registry.reproduce_draw(services.db, row)
    return {"id": row.id, "seed": row.seed, "recorded": row.numbers, "reproduced": again,
            "same": again == list(row.numbers)}
